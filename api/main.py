"""The API object: /api/v1/, bearer tokens, per-token rate limits, the docs page from the
vendored assets django-ninja ships (no CDN); and its URLs (namespace ``api-v1``, included by
``antt/urls.py``): django-ninja's, each wrapped so that a request made with a token leaves a row
in that token's trail."""

from ninja.renderers import JSONRenderer

from api.http import Api, TokenAuth, TokenThrottle, add_error_handlers, with_trail
from api.read import router as read_router
from api.write import router as write_router


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Vietnamese as written, UTF-8


api = Api(
    renderer=Renderer(),
    title="antt API",
    version="1",
    description=(
        "Xét duyệt, công nhận “An toàn về an ninh, trật tự”: đơn vị, đợt, bộ tiêu chí, hồ sơ, kết quả, "
        "quyết định, giấy chứng nhận. Xác thực: `Authorization: Bearer antt_…` (tạo token ở trang Tài khoản → Token API)."
    ),
    auth=TokenAuth(),
    throttle=TokenThrottle(),
    urls_namespace="api-v1",
)
add_error_handlers(api)
api.add_router("", read_router)
api.add_router("", write_router)

patterns, _app_name, namespace = api.urls
app_name = namespace  # "api-v1": ninja's docs page reverses its schema URL by it
for pattern in patterns:
    if pattern.callback is not None:
        pattern.callback = with_trail(pattern.callback)
urlpatterns = patterns
