"""The project's back office: the admin site and its pages that are no single app's (the index with
Tonight, the import page, the 403/404 frame) and the admins of the project-wide tables (audit log,
outbox, tasks). It sits above every domain app and may import any of them; no app imports it."""
