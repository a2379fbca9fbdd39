"""A host's photo and brand colour: uploaded safely, shown on their pages, readable in both schemes."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from linktime.accounts.looks import DARK_PAGE, LIGHT_PAGE, brand_stylesheet, contrast
from tests.helpers import add_event_type, add_user


@pytest.fixture
def ada(app, client, auth):
    with app.app_context():
        add_event_type(add_user("ada"))
    auth.login()
    return client


def picture(fmt="JPEG", size=(1200, 800), exif=True) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    extra = {}
    if exif and fmt == "JPEG":
        info = Image.Exif()
        info[0x8825] = {2: (52.0, 31.0, 0.0)}  # GPS: where the photo was taken
        info[0x0112] = 6  # taken with the phone on its side
        extra["exif"] = info.tobytes()
    image.save(out, fmt, **extra)
    return out.getvalue()


def upload(client, data: bytes, name="me.jpg", **fields):
    return client.post("/settings/appearance", data={"photo": (io.BytesIO(data), name), "brand_color": "#0172ad",
                                                      **fields}, content_type="multipart/form-data")


def test_a_photo_is_stored_small_square_and_without_its_metadata(ada):
    assert upload(ada, picture()).status_code == 303
    page = ada.get("/ada/intro-call").get_data(as_text=True)
    src = re.search(r'<img class="host-photo" src="(/photos/[0-9a-f]{64}\.webp)"', page)[1]
    served = ada.get(src)
    assert served.headers["Content-Type"] == "image/webp" and "immutable" in served.headers["Cache-Control"]
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "WEBP" and image.size == (256, 256)
    assert not image.getexif()  # no location, nothing but pixels
    assert src in ada.get("/ada").get_data(as_text=True)


@pytest.mark.parametrize("data,name,message", [
    (b"%PDF-1.7 not a picture", "cv.pdf", "not a picture LinkTime can read"),
    (picture("BMP", (20, 20)), "old.bmp", "Use a PNG, JPEG, WebP or GIF"),
    (picture("PNG", (9000, 9000), exif=False), "huge.png", "too many pixels"),
])
def test_what_is_not_a_usable_picture_is_refused_in_the_page(ada, data, name, message):
    response = upload(ada, data, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert "host-photo" not in ada.get("/ada/intro-call").get_data(as_text=True)


def test_an_upload_over_8_mb_is_refused_before_it_is_read(ada):
    response = upload(ada, b"\xff\xd8" + b"0" * (9 * 1024 * 1024))
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


def test_removing_the_photo_takes_it_off_the_pages_and_its_address(ada):
    upload(ada, picture())
    src = re.search(r'src="(/photos/[^"]+)"', ada.get("/ada").get_data(as_text=True))[1]
    ada.post("/settings/appearance", data={"remove_photo": "y", "brand_color": "#0172ad"})
    assert "host-photo" not in ada.get("/ada").get_data(as_text=True)
    assert ada.get(src).status_code == 404


def test_the_brand_colour_reaches_the_booking_page_at_once_and_reads_in_both_schemes(ada, client):
    before = client.get("/ada/intro-call").get_data(as_text=True)
    assert "/brand/" not in before
    ada.post("/settings/appearance", data={"brand_color": "#FFD400"})  # a pale yellow: unreadable as is
    page = client.get("/ada/intro-call").get_data(as_text=True)  # the cached page was renewed
    assert '<link rel="stylesheet" href="/brand/ffd400.css">' in page
    css = client.get("/brand/ffd400.css").get_data(as_text=True)
    light, dark = css.split("@media")
    def hexes(text, name):
        return tuple(
            int(re.search(rf"--pico-{name}:#(\w{{6}})", text)[1][i : i + 2], 16) for i in (0, 2, 4)
        )
    assert contrast(hexes(light, "primary"), LIGHT_PAGE) >= 4.5 and contrast(hexes(dark, "primary"), DARK_PAGE) >= 4.5
    assert contrast(hexes(light, "primary-background"), (255, 255, 255)) >= 4.5  # white text on free days
    ada.post("/settings/appearance", data={"own_colors": "y", "brand_color": "#ffd400"})
    assert "/brand/" not in client.get("/ada/intro-call").get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/brand/red.css", "/brand/12345g.css", "/photos/abc.webp", "/photos/" + "0" * 64 + ".webp"]
)
def test_strangers_asking_for_looks_get_404(client, path):
    assert client.get(path).status_code == 404


def test_a_bad_colour_is_said_in_the_page(ada):
    response = ada.post("/settings/appearance", data={"brand_color": "red; } body { display:none"})
    assert response.status_code == 422 and "Choose a colour with the colour picker" in response.get_data(as_text=True)


def test_the_stylesheet_keeps_a_dark_colour_readable_on_a_dark_page():
    css = brand_stylesheet("#202020")
    dark = css.split("@media")[1]
    text = re.search(r"--pico-primary:#(\w{6})", dark)[1]
    assert contrast(tuple(int(text[i:i + 2], 16) for i in (0, 2, 4)), DARK_PAGE) >= 4.5


def test_a_phone_sized_photo_passes_the_csrf_check_that_reads_the_form_first(tmp_path):
    import os

    from tests.helpers import make_app

    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        add_user("ada")
    client = app.test_client()
    token = lambda page: re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse",
                                "csrf_token": token(client.get("/login").get_data(as_text=True))})
    noisy = io.BytesIO()
    Image.frombytes("RGB", (1000, 833), os.urandom(1000 * 833 * 3)).save(noisy, "PNG")
    assert len(noisy.getvalue()) > 2 * 1024 * 1024  # over the 1 MB every other form may send
    response = client.post("/settings/appearance", content_type="multipart/form-data", data={
        "csrf_token": token(client.get("/settings/profile").get_data(as_text=True)),
        "brand_color": "#0172ad", "photo": (io.BytesIO(noisy.getvalue()), "phone.png")})
    assert response.status_code == 303
    assert client.post("/settings/profile", data={"x": "0" * (2 * 1024 * 1024)}).status_code == 413  # others keep 1 MB


def test_a_40_megapixel_jpeg_is_decoded_scaled_down(ada, monkeypatch):
    """What a photo costs in memory follows what is decoded: a camera's JPEG is decoded at 1/8."""
    photo = picture("JPEG", (7700, 5160), exif=False)  # 39.7 megapixels
    decoded = []
    real_load = Image.Image.load

    def load(self):
        decoded.append(self.size[0] * self.size[1])
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", load)
    assert upload(ada, photo).status_code == 303
    assert decoded and max(decoded) <= (256 * 8) ** 2  # never the whole 39.7 million pixels


def test_a_huge_picture_that_cannot_be_decoded_scaled_down_is_refused(ada):
    response = upload(ada, picture("PNG", (5000, 4000), exif=False), "big.png")  # 20 megapixels
    assert response.status_code == 422 and "use a JPEG, or one under 16 megapixels" in response.get_data(as_text=True)


def test_a_colour_with_a_trailing_line_break_is_refused(ada):
    response = ada.post("/settings/appearance", data={"brand_color": "#112233\n"})
    assert response.status_code == 422 and "Choose a colour with the colour picker" in response.get_data(as_text=True)


def test_two_first_photos_at_once_both_succeed(app, monkeypatch):
    """Two uploads by one host at the same moment: the other one stores the first photo between
    this one's look and its insert. This one's photo replaces it, with no error."""
    from sqlalchemy import insert, select

    from linktime.accounts.looks import save_looks
    from linktime.extensions import db
    from linktime.models import User, UserPhoto

    with app.app_context():
        user_id = add_user("ada").id
        user = db.session.get(User, user_id)
        real_get = db.session.get

        def get(model, ident, **kwargs):
            if model is UserPhoto and not kwargs.get("populate_existing"):
                with db.engine.begin() as other:  # the other upload, finishing first
                    other.execute(insert(UserPhoto).values(user_id=user_id, content_type="image/webp", data=b"first"))
                return None
            return real_get(model, ident, **kwargs)

        monkeypatch.setattr(db.session, "get", get)
        save_looks(user, color=None, photo=b"second", remove_photo=False)
        monkeypatch.undo()
        assert db.session.scalar(select(UserPhoto.data)) == b"second"
