"""Pagination per api.md: ``?page=N&page_size=M`` (default 25, max 100); a page past the end is 404."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
