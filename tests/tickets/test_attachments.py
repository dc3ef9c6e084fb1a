"""What `tickets.attachments.accept` lets through, cleaned, and what it refuses: decided by content, never by name."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from mnemonic import Mnemonic
from PIL import ExifTags, Image, ImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tickets import attachments


def image_bytes(fmt="PNG", size=(40, 30), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(data, name="file.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def accepted(data, name="file.png", content_type="application/octet-stream"):
    [result] = attachments.accept([upload(data, name, content_type)])
    return result


def refusal(files):
    with pytest.raises(ValidationError) as caught:
        attachments.accept(files)
    return [error.code for error in caught.value.error_list], " ".join(caught.value.messages)


def refused_code(data, name="file.png", content_type="image/png"):
    codes, _text = refusal([upload(data, name, content_type)])
    return codes


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width, height):
    """A PNG that declares `width` x `height` pixels and carries almost no data: a decompression bomb's header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def open_script(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hi');")}
    )


def pdf_bytes(build=None):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# Accepted, and cleaned


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"),
                                              ("GIF", "image/gif")])  # fmt: skip
def test_each_accepted_image_format_is_recognised_by_content_and_reencoded(fmt, content_type):
    result = accepted(image_bytes(fmt), name="photo", content_type="text/html")
    assert result.content_type == content_type
    with Image.open(io.BytesIO(result.data)) as again:
        assert again.format == fmt and again.size == (40, 30)
    assert result.name == "photo" + attachments.EXTENSIONS[content_type]
    assert result.size == len(result.data) and len(result.sha256) == 64


def gps_exif():
    """EXIF as a phone writes it: its maker and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 30.0)
    return exif


def test_a_jpeg_with_exif_gps_comes_back_without_it():
    exif = gps_exif()
    original = image_bytes("JPEG", exif=exif, comment=b"taken at home")
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test image really carries a location
    result = accepted(original, name="IMG_0001.JPG")
    with Image.open(io.BytesIO(result.data)) as stored:
        assert not stored.getexif() and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "comment" not in stored.info and "exif" not in stored.info
    assert b"SecretPhoneCo" not in result.data and b"taken at home" not in result.data
    assert result.name == "IMG_0001.JPG"


def test_a_jpeg_turned_by_its_exif_orientation_keeps_looking_upright():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotated 90°: the pixels are stored sideways
    result = accepted(image_bytes("JPEG", size=(40, 30), exif=exif))
    with Image.open(io.BytesIO(result.data)) as stored:
        assert stored.size == (30, 40) and not stored.getexif()


def test_a_png_with_an_appended_zip_comes_back_without_it():
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("wallet-drainer.js", "steal()")
    original = image_bytes("PNG") + payload.getvalue()
    result = accepted(original, name="screenshot.png")
    assert b"PK\x03\x04" not in result.data and b"wallet-drainer" not in result.data
    assert result.data.endswith(png_chunk(b"IEND", b""))


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "alice@example.com")
    result = accepted(image_bytes("PNG", pnginfo=info))
    assert b"alice@example.com" not in result.data


def test_an_animated_gif_keeps_its_first_frame_only():
    frames = [Image.new("P", (20, 20), color) for color in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    result = accepted(out.getvalue(), name="anim.gif")
    with Image.open(io.BytesIO(result.data)) as stored:
        assert getattr(stored, "n_frames", 1) == 1


def test_a_valid_pdf_is_kept_as_sent():
    data = pdf_bytes()
    result = accepted(data, name="statement.pdf")
    assert result.content_type == "application/pdf" and result.data == data


def test_a_pdf_with_a_link_is_accepted():
    def link(writer):
        from pypdf.annotations import Link

        writer.add_annotation(0, Link(rect=(10, 10, 50, 50), url="https://example.com/"))

    assert accepted(pdf_bytes(link), name="receipt.pdf").content_type == "application/pdf"


def test_plain_text_in_utf8_or_gb18030_is_stored_as_utf8():
    assert accepted("充值没有到账\nline 2".encode(), name="log.txt").data == "充值没有到账\nline 2".encode()
    result = accepted("充值没有到账".encode("gb18030"), name="说明.txt")
    assert result.data.decode("utf-8") == "充值没有到账" and result.content_type == "text/plain"
    assert result.name == "说明.txt" and result.secrets_removed == ()


def test_a_text_file_with_a_seed_phrase_is_redacted_and_says_so():
    phrase = Mnemonic("english").generate(128)
    result = accepted(f"my wallet words:\n{phrase}\n谢谢".encode(), name="notes.txt")
    assert result.secrets_removed == ("seed_phrase",)
    stored = result.data.decode()
    assert stored.startswith("my wallet") and stored.endswith("谢谢") and "[removed: seed phrase]" in stored
    kept = stored.removeprefix("my wallet words:")  # "wallet" is a BIP39 word the phrase may hold too
    assert not any(word in kept.split() for word in phrase.split()[3:])


# Refused


def test_svg_is_refused_even_named_png():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    assert refused_code(svg, "logo.svg", "image/svg+xml") == ["markup"]
    assert refused_code(svg, "logo.png", "image/png") == ["markup"]
    xml = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'
    assert refused_code(xml, "logo.png") == ["markup"]


def test_html_renamed_png_is_refused():
    html = b"<!DOCTYPE html><html><body><script>fetch('/api/')</script></body></html>"
    assert refused_code(html, "screenshot.png", "image/png") == ["markup"]
    assert refused_code(b"<img src=x onerror=alert(1)>", "note.txt", "text/plain") == ["markup"]


def test_a_gif_that_is_also_javascript_is_refused():
    # The header's width bytes are "/*": "GIF89a/*…*/=alert(1)//" is a script as well as an image.
    out = io.BytesIO()
    Image.new("P", (0x2A2F, 1)).save(out, "GIF")
    polyglot = out.getvalue() + b"*/=alert(document.domain)//"
    assert polyglot.startswith(b"GIF87a/*")
    with Image.open(io.BytesIO(polyglot)) as image:
        assert image.format == "GIF"  # Pillow alone would take it
    assert refused_code(polyglot, "cat.gif", "image/gif") == ["markup"]


def test_an_image_with_html_in_its_metadata_is_refused():
    data = image_bytes("JPEG", comment=b"<script>alert(1)</script>")
    assert refused_code(data, "photo.jpg", "image/jpeg") == ["markup"]


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    bomb = png_header_only(100_000, 100_000)
    assert len(bomb) < 200
    codes, text = refusal([upload(bomb)])
    assert codes == ["too_many_pixels"] and "40 million pixels" in text
    assert refused_code(png_header_only(8000, 6000)) == ["too_many_pixels"]  # 48 MP: under Pillow's own limit


def test_a_truncated_image_is_refused_as_damaged():
    data = image_bytes("PNG", size=(200, 200), color=(1, 2, 3))
    assert refused_code(data[: len(data) // 2]) == ["damaged"]


def test_a_text_file_over_its_own_limit_is_refused():
    codes, text = refusal([upload(b"a" * (attachments.MAX_TEXT_SIZE + 1), "huge.log", "text/plain")])
    assert codes == ["too_large"] and "256 KB" in text


def test_a_file_over_the_size_limit_is_refused():
    big = b"a" * (attachments.MAX_FILE_SIZE + 1)
    codes, text = refusal([upload(big, "big.txt", "text/plain")])
    assert codes == ["too_large"] and "big.txt" in text and "10 MB" in text


class Reported:
    """An uploaded file that only reports its size: reading it would fail the test."""

    def __init__(self, name, size):
        self.name, self.size = name, size

    def read(self, *args):
        raise AssertionError("read although the sizes already refuse it")

    seek = read


def test_files_over_the_total_are_refused_before_any_is_read():
    codes, text = refusal([Reported(f"{n}.png", 9 * 1024 * 1024) for n in range(3)])
    assert codes == ["total_too_large"] and "25 MB" in text


def test_more_than_five_files_are_refused():
    codes, text = refusal([upload(image_bytes(), f"{n}.png") for n in range(6)])
    assert codes == ["too_many"] and "5 files" in text
    assert len(attachments.accept([upload(image_bytes(), f"{n}.png") for n in range(5)])) == 5


def test_an_empty_file_is_refused():
    codes, text = refusal([upload(b"", "empty.png")])
    assert codes == ["empty"] and "empty.png" in text


def test_every_refusal_is_reported_together_with_the_file_names():
    codes, text = refusal([upload(b"", "a.png"), upload(image_bytes()), upload(b"<svg/>", "b.svg")])
    assert codes == ["empty", "markup"] and "a.png" in text and "b.svg" in text


def test_a_pdf_with_javascript_is_refused():
    data = pdf_bytes(open_script)
    assert refused_code(data, "invoice.pdf", "application/pdf") == ["active_pdf"]


def test_a_pdf_with_a_launch_action_or_an_embedded_file_is_refused():
    def launch(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
        )

    assert refused_code(pdf_bytes(launch), "a.pdf") == ["active_pdf"]
    attached = pdf_bytes(lambda writer: writer.add_attachment("payload.exe", b"MZ\x90\x00"))
    assert refused_code(attached, "b.pdf") == ["active_pdf"]


def test_a_pdf_hiding_its_script_behind_escaped_names_is_refused():
    data = pdf_bytes(open_script).replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS", b"/#4AS")
    assert b"/JavaScript" not in data and b"/JS" not in data
    PdfReader(io.BytesIO(data), strict=False)  # still a PDF a viewer opens
    assert refused_code(data, "c.pdf") == ["active_pdf"]


def test_a_file_that_only_starts_like_a_pdf_is_refused_as_damaged():
    assert refused_code(b"%PDF-1.7\nnot really\n", "d.pdf") == ["damaged"]


def test_a_pdf_with_html_inside_is_refused():
    data = pdf_bytes() + b"\n<html><script>alert(1)</script></html>"
    assert refused_code(data, "e.pdf") == ["markup"]


@pytest.mark.parametrize("data", [b"MZ\x90\x00\x03\x00\x00\x00", bytes(range(256)), b"PK\x03\x04\x14\x00\x00\x00",
                                  b"\x1b[31mred"])  # fmt: skip
def test_other_binary_files_are_refused_as_unsupported(data):
    codes, text = refusal([upload(data, "thing.bin")])
    assert codes == ["unsupported"] and "PNG, JPEG, WebP or GIF" in text


# Names


@pytest.mark.parametrize(
    "sent,shown",
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\截图 1.png", "截图 1.png"),
        ("evil\x00name\u202e.png", "evilname.png"),
        ("", "file.png"),
        ("page.html", "page.png"),
        ("...", "file.png"),
    ],
)
def test_the_original_name_is_kept_only_sanitised_and_with_the_real_extension(sent, shown):
    assert accepted(image_bytes(), name=sent or "x").name == (shown if sent else "x.png")


def test_a_long_name_is_shortened_keeping_its_extension():
    name = accepted(image_bytes(), name="屏幕截图" * 80 + ".png").name
    assert len(name) <= attachments.MAX_NAME_LENGTH and name.endswith(".png")


def test_a_secret_typed_into_the_file_name_is_redacted_like_one_in_the_file():
    phrase = Mnemonic("english").generate(128)
    result = accepted(image_bytes(), name=f"{phrase}.png")
    assert result.secrets_removed == ("seed_phrase",)
    assert phrase.split()[4] not in result.name and result.name.endswith(".png")
    result = accepted(b"hello", name="my password is Hunter22x.txt")
    assert "Hunter22x" not in result.name and result.secrets_removed == ("password",)


def test_a_phones_multi_picture_jpeg_is_accepted_as_its_first_picture():
    out = io.BytesIO()
    first, second = Image.new("RGB", (40, 30), (1, 2, 3)), Image.new("RGB", (40, 30), (250, 250, 250))
    first.save(out, "MPO", save_all=True, append_images=[second])
    result = accepted(out.getvalue(), name="IMG_0002.JPG")
    assert result.content_type == "image/jpeg"
    with Image.open(io.BytesIO(result.data)) as stored:
        assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "PDF"])
def test_damaged_files_are_always_a_refusal_or_a_clean_file_never_a_crash(fmt):
    import random

    original = pdf_bytes() if fmt == "PDF" else image_bytes(fmt, size=(64, 48))
    rng = random.Random(fmt)
    for _ in range(150):
        data = bytearray(original)
        for _flip in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        try:
            result = accepted(bytes(data), name=f"fuzz.{fmt.lower()}")
        except ValidationError as error:
            assert error.error_list[0].code in {"damaged", "unsupported", "markup", "too_many_pixels", "active_pdf",
                                                "encrypted"}  # fmt: skip
        else:
            assert result.content_type in attachments.EXTENSIONS
