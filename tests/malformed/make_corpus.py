"""Regenerate the malformed-input corpus and its manifest (expected.json).

The files are committed; run this only to change the corpus:
    python tests/malformed/make_corpus.py
Each entry of expected.json maps a file name to the HTTP status, the error code and a
substring of the message that parse_export must produce for it.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CLAUDE_CONVERSATION = {
    "uuid": "5f3c2a9e-8b1d-4c7e-9a2f-1e6d4b8c0a11",
    "name": "Test",
    "created_at": "2026-05-14T09:12:03.481265Z",
    "updated_at": "2026-05-14T09:31:47.120904Z",
    "chat_messages": [
        {
            "uuid": "019e1a2b-3c4d-7e5f-8a9b-0c1d2e3f4a01",
            "text": "Hello there",
            "content": [{"type": "text", "text": "Hello there"}],
            "sender": "human",
            "created_at": "2026-05-14T09:12:04.102330Z",
            "parent_message_uuid": "00000000-0000-4000-8000-000000000000",
        }
    ],
}
CHATGPT_CONVERSATION = {
    "id": "69397d3c-2f1e-8320-b7a4-5c6d7e8f9a01",
    "title": "Test",
    "create_time": 1765380412.5,
    "current_node": "a",
    "mapping": {
        "root": {"id": "root", "message": None, "parent": None, "children": ["a"]},
        "a": {
            "id": "a",
            "parent": "root",
            "children": [],
            "message": {
                "id": "a",
                "author": {"role": "user"},
                "create_time": 1765380412.5,
                "content": {"content_type": "text", "parts": ["Hello"]},
            },
        },
    },
}


def claude_json() -> bytes:
    return json.dumps([CLAUDE_CONVERSATION], indent=1).encode()


def zip_of(members: dict[str, bytes], *, stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            # A fixed timestamp keeps the committed files byte-identical on regeneration.
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=method)
    return buffer.getvalue()


def encrypted_flag_zip() -> bytes:
    """A ZIP whose member is flagged as encrypted (general-purpose bit 0)."""
    data = bytearray(zip_of({"conversations.json": claude_json()}))
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    return bytes(data)


def bad_crc_zip() -> bytes:
    data = bytearray(zip_of({"conversations.json": claude_json()}, stored=True))
    at = data.index(b"Hello there")
    data[at] = ord("J")  # content no longer matches the stored CRC-32
    return bytes(data)


def nested_zip(levels: int) -> bytes:
    data = zip_of({"conversations.json": claude_json()})
    for level in range(levels):
        data = zip_of({f"level-{level}.zip": data})
    return data


def build() -> dict[str, tuple[bytes, int, str, str]]:
    """file name -> (content, status, code, message substring)."""
    valid = claude_json()
    deep_tool = dict(CLAUDE_CONVERSATION)
    nested: object = "x"
    for _ in range(100):
        nested = {"k": [nested]}
    deep_tool["chat_messages"] = [
        {
            **CLAUDE_CONVERSATION["chat_messages"][0],
            "content": [{"type": "tool_use", "name": "t", "input": nested}],
        }
    ]
    return {
        "empty.json": (b"", 400, "empty_file", "the file is empty"),
        "whitespace_only.json": (b"  \n\t\n  ", 400, "empty_file", "empty"),
        "truncated.json": (valid[:93], 400, "invalid_json", "unexpected end of data at line"),
        "trailing_garbage.json": (valid + b"\nxyz", 400, "invalid_json", "trailing characters"),
        "bad_literal.json": (b'[{"uuid": tru}]', 400, "invalid_json", "line 1, column"),
        "single_quotes.json": (b"[{'uuid': 'x'}]", 400, "invalid_json", "not valid JSON"),
        "missing_comma.json": (
            b'[\n  {"uuid": "a"}\n  {"uuid": "b"}\n]',
            400,
            "invalid_json",
            "at line 3, column 3",
        ),
        "invalid_utf8.json": (
            valid.replace(b"Hello there", b"Hello \xff\xfe there"),
            400,
            "invalid_utf8",
            "not valid UTF-8",
        ),
        "utf16.json": (
            "\ufeff".encode("utf-16-le") + valid.decode().encode("utf-16-le"),
            400,
            "invalid_utf8",
            "UTF-16",
        ),
        "deep_nesting.json": (b"[" * 500 + b"]" * 500, 400, "json_too_deep", "nested more than"),
        "deep_unbalanced.json": (b"[" * 5000, 400, "json_too_deep", "nested more than"),
        "deep_inside_conversation.json": (
            json.dumps([deep_tool]).encode(),
            400,
            "json_too_deep",
            "nested more than",
        ),
        "brackets_in_strings_too_deep.json": (
            b'[{"a": "' + b"[" * 300 + b'"}, ' + b"[" * 70 + b"]" * 70 + b"]",
            400,
            "json_too_deep",
            "nested more than 64",
        ),
        "not_export_object.json": (
            b'{"foo": 1, "bar": [1, 2]}',
            415,
            "unsupported_format",
            "not a conversation export",
        ),
        "not_export_array.json": (
            b"[1, 2, 3]",
            415,
            "unsupported_format",
            "neither claude.ai nor ChatGPT",
        ),
        "scalar.json": (b'"hello"', 415, "unsupported_format", "not a conversation export"),
        "wrapper_not_a_list.json": (
            b'{"conversations": "none"}',
            415,
            "unsupported_format",
            "not a conversation export",
        ),
        "empty_array.json": (b"[]", 400, "no_conversations", "contains no conversations"),
        "wrapper_empty.json": (
            b'{"conversations": []}',
            400,
            "no_conversations",
            "no conversations",
        ),
        "all_items_invalid.json": (
            b'[{"uuid": 5, "chat_messages": "no"}, {"uuid": "x", "chat_messages": 7}]',
            400,
            "no_conversations",
            "no readable conversations",
        ),
        "image.png": (
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            415,
            "binary_file",
            "PNG image",
        ),
        "document.pdf": (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            415,
            "binary_file",
            "PDF",
        ),
        "nul_bytes.bin": (b"\x01\x00\x02\x00" * 64, 415, "binary_file", "binary file"),
        "export.json.gz": (gzip.compress(valid, mtime=0), 415, "binary_file", "gzip"),
        "zip_without_conversations.zip": (
            zip_of({"users.json": b"[]", "chat.html": b"<html></html>"}),
            400,
            "conversations_not_found",
            "conversations.json not found in the ZIP",
        ),
        "zip_empty.zip": (
            zip_of({}),
            400,
            "conversations_not_found",
            "conversations.json not found",
        ),
        "zip_path_traversal.zip": (
            zip_of({"../../etc/conversations.json": valid}),
            400,
            "unsafe_zip_member",
            "unsafe path",
        ),
        "zip_absolute_path.zip": (
            zip_of({"/tmp/conversations.json": valid}),
            400,
            "unsafe_zip_member",
            "unsafe path",
        ),
        "zip_backslash_traversal.zip": (
            zip_of({"..\\..\\conversations.json": valid}),
            400,
            "unsafe_zip_member",
            "unsafe path",
        ),
        "zip_truncated.zip": (
            zip_of({"conversations.json": valid})[:60],
            400,
            "corrupt_zip",
            "damaged",
        ),
        "zip_bad_crc.zip": (bad_crc_zip(), 400, "corrupt_zip", "damaged"),
        "zip_encrypted.zip": (encrypted_flag_zip(), 400, "encrypted_zip", "password-protected"),
        "zip_invalid_json.zip": (
            zip_of({"data-batch-0000/conversations.json": valid[:93]}),
            400,
            "invalid_json",
            "in data-batch-0000/conversations.json: the file is not valid JSON",
        ),
        "zip_mixed_vendors.zip": (
            zip_of(
                {
                    "claude/conversations.json": valid,
                    "chatgpt/conversations-000.json": json.dumps([CHATGPT_CONVERSATION]).encode(),
                }
            ),
            400,
            "mixed_exports",
            "mixes claude.ai and ChatGPT",
        ),
        "zip_bomb_ratio.zip": (
            zip_of({"conversations.json": b"[" + b" " * (4 << 20) + b"]"}),
            413,
            "zip_bomb",
            "looks like a ZIP bomb",
        ),
        "zip_nested_too_deep.zip": (nested_zip(4), 413, "zip_bomb", "nests ZIP files deeper"),
    }


def main() -> None:
    manifest = {}
    for name, (data, status, code, message) in sorted(build().items()):
        (HERE / name).write_bytes(data)
        manifest[name] = {"status": status, "code": code, "message": message}
    (HERE / "expected.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(manifest)} files")


if __name__ == "__main__":
    main()
