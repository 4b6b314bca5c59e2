"""A secret carried by a URL never reaches an export file with privacy on.

The corpus goes through the analyzer's real pipeline (redaction, engine) and every export
format is rendered from its redacted corpus, as the exporter does; each file is then
searched for the secret parts (inside the ZIP members of CSV and XLSX, and in the text
poppler extracts from the PDF).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest

from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common.corpus import Attachment, Conversation, Corpus, Message, ToolUse
from convoscope_common.options import AnalysisOptions
from convoscope_exporter.filtering import ExportFilter
from convoscope_exporter.manifest import build_manifest
from convoscope_exporter.render import SUPPORTED_FORMATS, render_export

SLACK = "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/Kx9pQ2mZr7TnV4bW8yH3cJ6s"
DISCORD = (
    "https://discord.com/api/webhooks/112233445566778899/"
    "Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdEFGH"
)
QUERY = "https://api.example.com/v1/me?fields=id&access_token=EAAGm0PX4ZCpsBAKZB8j2h&page=2"
BASIC = "postgres://admin:S3cretPw9x@db.example.com:5432/prod"
# What must not survive anywhere (the credential part of each URL).
SECRETS = (
    "T024BE7LD/B01ABCDEF12",
    "Kx9pQ2mZr7TnV4bW8yH3cJ6s",
    "Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789",
    "EAAGm0PX4ZCpsBAKZB8j2h",
    "S3cretPw9x",
)


def _corpus() -> Corpus:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return Corpus(
        conversations=[
            Conversation(
                id="c1",
                title=f"Alerts to {SLACK}",
                created_at=at,
                messages=[
                    Message(
                        id="m1",
                        role="user",
                        created_at=at,
                        text=f"Why does {SLACK} return 404? Also {DISCORD} and {QUERY}",
                        attachments=[Attachment(file_name="cfg.env", extracted_text=BASIC)],
                    ),
                    Message(
                        id="m2",
                        role="assistant",
                        created_at=at,
                        text=f"Check the URL {SLACK} is still active.",
                        tool_uses=[ToolUse(name="fetch", input_json=f'{{"url": "{SLACK}"}}')],
                    ),
                ],
            )
        ]
    )


def _texts(fmt: str, data: bytes, visual, tmp_path) -> str:
    if fmt in ("csv", "xlsx"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    if fmt == "pdf":
        path = tmp_path / "report.pdf"
        path.write_bytes(data)
        return visual.pdf_text(path)
    return data.decode("utf-8")


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_url_secrets_are_redacted_in_every_format(fmt, visual, tmp_path):
    output = run_pipeline(_corpus(), AnalysisOptions(), PrivacyConfig())
    manifest = build_manifest(
        results=output.results,
        export_id="exp_s",
        job_id="job_s",
        formats=[fmt],
        include_pii=False,
        flt=ExportFilter(),
        file_hash="sha256:" + "ef" * 32,
        created_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    (out,) = render_export(fmt, output.results, output.redacted_corpus, manifest=manifest)
    text = _texts(fmt, out.data, visual, tmp_path)
    # The file holds the (redacted) title, so the search below looks at real content; the
    # JSON export carries results only (no titles or messages).
    assert ("Alerts to" in text) if fmt != "json" else ('"job_id":"job_s"' in text)
    assert [s for s in SECRETS if s in text] == []
