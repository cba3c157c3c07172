"""Every write of the legal app, one module per concern (documents, consent, cookies, privacy
exports, account deletion, contact and testimonials). Import the module you need:
``from apps.legal.services import documents``."""
