"""Limits on imported files (issue 10): the admin upload's size limit, and zip members (and .gz files)
read as streams with caps on the total unpacked size and on the compression ratio — a zip bomb is
refused with a message naming the file, the member and the sizes, and nothing is imported."""

from __future__ import annotations

import gzip
import tracemalloc
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from codes.importers.archives import ArchiveLimits, check_archive, human_size, open_gzip_text, open_member
from codes.importers.base import ImportFileError
from codes.models import AddOnEdit, PlaceOfService, PTPEdit, Release
from tests.conftest import SHARED_DATA, shared_file

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:codes_release_import")
MB = 1024 * 1024
TINY_POS = '"pos_code","pos_type","pos_name","pos_description"\n"11","Non-Facility","Office","Office"\n'


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


def stored_files(upload_dir: Path) -> list[Path]:
    return sorted(p for p in upload_dir.rglob("*") if p.is_file()) if upload_dir.exists() else []


def zeros_zip(path: Path, member: str, size: int, *, extra: dict[str, bytes] | None = None) -> Path:
    """A zip whose member unpacks to ``size`` zero bytes, written in chunks (small on disk, fast)."""
    chunk = bytes(MB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        with archive.open(member, "w", force_zip64=True) as out:
            left = size
            while left > 0:
                out.write(chunk[: min(left, MB)])
                left -= MB
    return path


def text_zip(path: Path, member: str, size: int) -> Path:
    """A zip of text that compresses about as well as a CMS text file (digits: ~2:1)."""
    line = b"".join(f"{n:08d}\t{n * 7919 % 100000:05d}\t{n % 9}\r\n".encode() for n in range(1000))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w") as out:
        written = 0
        while written < size:
            out.write(line)
            written += len(line)
    return path


def assert_nothing_imported():
    assert Release.objects.count() == 0
    assert PTPEdit.objects.count() == 0 and AddOnEdit.objects.count() == 0 and PlaceOfService.objects.count() == 0


# --- the admin upload's size limit ---------------------------------------------------------------------


def preview(client, data: bytes, name="pos_codes_2024-06.csv", kind="pos"):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(IMPORT_URL, {"kind": kind, "file": upload, "action": "preview"})


def test_upload_over_the_limit_is_refused_at_the_field_and_nothing_is_saved(admin_client_logged, settings, upload_dir):
    data = TINY_POS.encode()
    settings.CLAIMDESK_IMPORT_MAX_BYTES = len(data) - 1
    response = preview(admin_client_logged, data)
    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert error == (
        f"pos_codes_2024-06.csv is {len(data)} bytes, larger than the largest file accepted, {len(data) - 1} bytes "
        "(CLAIMDESK_IMPORT_MAX_BYTES); nothing was imported."
    )
    assert "Confirm import" not in response.content.decode()
    assert stored_files(upload_dir) == []
    assert_nothing_imported()


def test_upload_at_the_limit_is_previewed(admin_client_logged, settings):
    data = TINY_POS.encode()
    settings.CLAIMDESK_IMPORT_MAX_BYTES = len(data)
    response = preview(admin_client_logged, data)
    assert response.context["form"].errors == {}
    assert response.context["staged"].file_name == "pos_codes_2024-06.csv"


def test_the_form_says_the_limit(admin_client_logged):
    html = admin_client_logged.get(IMPORT_URL).content.decode()
    assert "At most 200.0 MB." in html


def test_default_limits_accept_every_real_cms_file():
    assert django_settings.CLAIMDESK_IMPORT_MAX_BYTES == 200 * MB
    assert django_settings.CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES == 2 * 1024 * MB
    assert django_settings.CLAIMDESK_IMPORT_MAX_RATIO == 100
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is absent")
    sizes = [path.stat().st_size for path in SHARED_DATA.rglob("*") if path.is_file()]
    assert sizes and max(sizes) < django_settings.CLAIMDESK_IMPORT_MAX_BYTES


@pytest.mark.parametrize(
    "relative",
    [
        "ncci_mue/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv",
        "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.txt",
        "pfs_rvu/PPRRVU25_JAN_no_descriptors.csv",
    ],
)
def test_real_cms_files_zipped_pass_the_ratio_limit(tmp_path, relative):
    """The real text files compress 12–20 times: far below the 100:1 limit."""
    source = shared_file(relative)
    archive = tmp_path / "real.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        out.write(source, source.name)
    [info] = check_archive(archive)
    assert info.file_size / info.compress_size < 30


def test_the_real_xlsx_workbooks_pass():
    for relative in ("ncci_aoc/AOC_V2026Q2-MCR.xlsx", "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.xlsx"):
        assert check_archive(shared_file(relative))


# --- zip bombs -------------------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_anything_is_read(tmp_path):
    bomb = zeros_zip(tmp_path / "ccipra-v322r0-f1.zip", "ccipra-v322r0-f1.txt", 50 * MB)
    assert bomb.stat().st_size < 200_000  # small on disk
    tracemalloc.start()
    try:
        with pytest.raises(CommandError) as caught:
            call_command("import_ptp", str(bomb), stdout=StringIO())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith("ccipra-v322r0-f1.zip: member 'ccipra-v322r0-f1.txt' unpacks ")
    assert "to 50.0 MB (52428800 bytes" in message and "over the limit of 100:1" in message
    assert "zip bomb" in message and "nothing was imported" in message
    assert peak < 10 * MB  # nothing was unpacked into memory
    assert_nothing_imported()


def test_a_zip_over_the_total_limit_is_refused(tmp_path, settings):
    settings.CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES = 10 * MB
    archive = text_zip(tmp_path / "ccipra-v322r0-f1.zip", "ccipra-v322r0-f1.txt", 12 * MB)
    with pytest.raises(CommandError, match=r"it would unpack to 12\.0 MB \(\d+ bytes\), over the limit of 10\.0 MB"):
        call_command("import_ptp", str(archive), stdout=StringIO())
    assert_nothing_imported()


def test_the_ratio_is_not_applied_to_small_members(tmp_path):
    """A read-me of spaces compresses a thousand times; under 1 MB that is no bomb."""
    archive = tmp_path / "small.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("readme.txt", b" " * 500_000)
    assert [info.filename for info in check_archive(archive)] == ["readme.txt"]


def test_members_are_streamed_and_counted_as_they_unpack(tmp_path):
    """Read through ``open_member`` a megabyte at a time: memory stays low whatever the member's size,
    and the limits hold on the bytes actually unpacked (not only on what the member declares)."""
    archive = zeros_zip(tmp_path / "zeros.zip", "zeros.txt", 40 * MB)
    generous = ArchiveLimits(max_uncompressed=1024 * MB, max_ratio=10**6)
    tracemalloc.start()
    try:
        total = 0
        with open_member(archive, "zeros.txt", limits=generous) as stream:
            for block in iter(lambda: stream.read(256 * 1024), b""):
                total += len(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 40 * MB
    assert peak < 8 * MB  # a fifth of the member: it was never held whole

    strict = ArchiveLimits(max_uncompressed=1024 * MB, max_ratio=100)  # as if the declared sizes had lied
    with (
        pytest.raises(ImportFileError, match="member 'zeros.txt' unpacks .* over the limit of 100:1"),
        open_member(archive, "zeros.txt", limits=strict) as stream,
    ):
        while stream.read(MB):
            pass
    capped = ArchiveLimits(max_uncompressed=5 * MB, max_ratio=10**6)
    with (
        pytest.raises(ImportFileError, match="unpacks to more than .*the limit of 5.0 MB"),
        open_member(archive, "zeros.txt", limits=capped) as stream,
    ):
        while stream.read(MB):
            pass


def test_an_xlsx_bomb_uploaded_in_the_admin_is_refused(admin_client_logged, tmp_path, upload_dir):
    bomb = zeros_zip(
        tmp_path / "AOC_V2026Q2-MCR.xlsx",
        "xl/worksheets/sheet1.xml",
        30 * MB,
        extra={"[Content_Types].xml": b"<Types/>"},
    )
    response = preview(admin_client_logged, bomb.read_bytes(), name="AOC_V2026Q2-MCR.xlsx", kind="aoc")
    [error] = response.context["form"].errors["file"]
    assert "member 'xl/worksheets/sheet1.xml'" in error and "zip bomb" in error
    assert stored_files(upload_dir) == []
    assert_nothing_imported()


def test_a_gzip_bomb_is_refused_while_it_is_read(tmp_path):
    path = tmp_path / "ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz"
    with gzip.open(path, "wb") as out:
        out.write(b"column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale\n")
        for _ in range(20):
            out.write(bytes(MB))
    with pytest.raises(CommandError, match="over the limit of 100:1"):
        call_command("import_ptp", str(path), stdout=StringIO())
    assert_nothing_imported()
    with open_gzip_text(path, limits=ArchiveLimits(max_uncompressed=1024 * MB, max_ratio=10**6)) as text:
        assert text.readline().startswith("column_1,")


def test_human_sizes():
    assert [human_size(n) for n in (0, 1023, 1536, 5 * MB, 3 * 1024 * MB)] == [
        "0 bytes",
        "1023 bytes",
        "1.5 KB",
        "5.0 MB",
        "3.0 GB",
    ]


def test_import_commands_use_the_guard_for_xlsx_too(tmp_path):
    bomb = zeros_zip(tmp_path / "AOC_V2026Q2-MCR.xlsx", "xl/worksheets/sheet1.xml", 20 * MB)
    with pytest.raises(CommandError, match="zip bomb"):
        call_command("import_aoc", str(bomb), stdout=StringIO())
    assert_nothing_imported()


def test_a_tiny_real_zip_still_imports(tmp_path):
    lines = shared_file("ncci_ptp/ccipra-v322r0-f1_head.txt").read_bytes()
    archive = tmp_path / "ccipra-v322r0-f1.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("ccipra-v322r0-f1.txt", lines)
    out = StringIO()
    call_command("import_ptp", str(archive), stdout=out)
    assert out.getvalue().strip().endswith("total 154")
