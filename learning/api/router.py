"""The /api/v2/ router: Wagtail's standard endpoints plus subjects and courses."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from learning.api.authentication import AUTHENTICATION_CLASSES
from learning.api.documents import listable_documents
from learning.api.filters import with_safe_search
from learning.api.pagination import Pagination
from learning.api.patterns import BoundedIdPatterns
from learning.api.serializers import PageSerializer
from learning.api.views import CoursesAPIViewSet, SubjectsAPIViewSet


class Pages(BoundedIdPatterns, PagesAPIViewSet):
    authentication_classes = AUTHENTICATION_CLASSES
    pagination_class = Pagination
    base_serializer_class = PageSerializer
    filter_backends = with_safe_search(PagesAPIViewSet.filter_backends)


class Images(BoundedIdPatterns, ImagesAPIViewSet):
    authentication_classes = AUTHENTICATION_CLASSES
    pagination_class = Pagination
    filter_backends = with_safe_search(ImagesAPIViewSet.filter_backends)


class Documents(BoundedIdPatterns, DocumentsAPIViewSet):
    authentication_classes = AUTHENTICATION_CLASSES
    pagination_class = Pagination
    filter_backends = with_safe_search(DocumentsAPIViewSet.filter_backends)

    def get_queryset(self):
        return listable_documents(super().get_queryset(), self.request.user)


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", Pages)
api_router.register_endpoint("images", Images)
api_router.register_endpoint("documents", Documents)
api_router.register_endpoint("subjects", SubjectsAPIViewSet)
api_router.register_endpoint("courses", CoursesAPIViewSet)
