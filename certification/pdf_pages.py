"""Merge WeasyPrint PDFs and split them into one PDF per page by copying their objects' bytes.

pypdf parses every object into Python objects and serialises it again: for the fonts' width
arrays of every single-page PDF of a zip that cost ~7 ms a page, more than a page's layout.
The PDFs handled here are all written by WeasyPrint (and by :func:`merge`), so they are simple:
generation 0, one flat page tree, objects in the file or in object streams. Objects are copied
as they are (only ``N 0 R`` references outside streams are renumbered when merging); a PDF that
does not look like that raises :class:`UnsupportedPDF` and the caller falls back on pypdf.
"""

import io
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from pypdf import PdfReader

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
REFERENCE = re.compile(rb"(\d+) 0 R\b")
OBJ_HEADER = re.compile(rb"\s*(\d+)\s+0\s+obj\b")


class UnsupportedPDF(ValueError):
    pass


class Objects:
    """The objects of one PDF as raw bytes (body between ``obj`` and ``endobj``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        try:
            reader = PdfReader(io.BytesIO(data))
            root = reader.trailer["/Root"]
            pages = root["/Pages"]
            self.pages_root = pages.indirect_reference.idnum
            self.page_numbers = [kid.idnum for kid in pages["/Kids"]]
            xref, in_streams = dict(reader.xref), dict(reader.xref_objStm)
        except Exception as error:  # noqa: BLE001 - anything unexpected: let pypdf do it
            raise UnsupportedPDF(str(error)) from error
        if set(xref) - {0, 65535} or any(kid["/Type"] != "/Page" for kid in pages["/Kids"]):
            raise UnsupportedPDF("generations or a nested page tree")
        self.body: dict[int, bytes] = {}
        self._stream_objects(in_streams, reader)
        self._file_objects(xref.get(0, {}))
        self._refs: dict[int, list[int]] = {}

    def _file_objects(self, offsets: dict[int, int]) -> None:
        data = self.data
        end_of_body = data.rfind(b"startxref")
        start = int(data[end_of_body + 9 :].split()[0])
        bounds = sorted({*offsets.values(), start, len(data)})
        following = dict(zip(bounds, bounds[1:], strict=False))
        for num, offset in offsets.items():
            match = OBJ_HEADER.match(data, offset)
            end = data.rfind(b"endobj", offset, following.get(offset, len(data)))
            if not match or int(match[1]) != num or end < 0:
                raise UnsupportedPDF(f"object {num}")
            self.body[num] = data[match.end() : end].strip(b"\r\n ")

    def _stream_objects(self, in_streams: dict[int, tuple[int, int]], reader: PdfReader) -> None:
        for stream_num in {stream for stream, _ in in_streams.values()}:
            stream = reader.get_object(stream_num)
            content = stream.get_data()
            first, count = int(stream["/First"]), int(stream["/N"])
            numbers = [int(n) for n in content[:first].split()]
            pairs = list(zip(numbers[0::2], numbers[1::2], strict=True))
            if len(pairs) != count:
                raise UnsupportedPDF(f"object stream {stream_num}")
            for i, (num, offset) in enumerate(pairs):
                end = pairs[i + 1][1] if i + 1 < len(pairs) else len(content) - first
                if in_streams.get(num, (None,))[0] == stream_num:
                    self.body[num] = content[first + offset : first + end].strip()

    def references(self, num: int) -> list[int]:
        """Objects referred to by ``num`` (outside its stream data)."""
        if num not in self._refs:
            body = self.body[num]
            cut = _stream_start(body)
            head = body if cut < 0 else body[:cut]
            self._refs[num] = [int(n) for n in REFERENCE.findall(head)]
        return self._refs[num]

    def closure(self, start: Iterable[int], *, skip: int) -> set[int]:
        """Every object reachable from ``start`` without going through ``skip`` (the parent)."""
        seen: set[int] = set()
        todo = [n for n in start if n != skip]
        while todo:
            num = todo.pop()
            if num in seen:
                continue
            if num not in self.body:
                raise UnsupportedPDF(f"missing object {num}")
            seen.add(num)
            todo.extend(n for n in self.references(num) if n != skip and n not in seen)
        return seen


def _stream_start(body: bytes) -> int:
    """Where the stream keyword of a stream object starts (-1 for other objects): references
    are looked for (and renumbered) only before it, never in the stream's data."""
    return body.find(b"stream") if body.endswith(b"endstream") else -1


class _Writer:
    def __init__(self, out: BinaryIO) -> None:
        self.out, self.offsets, self.position = out, {}, 0
        self._write(HEADER)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def add(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    def finish(self, *, root: int) -> None:
        """A classic cross-reference table (one subsection per run of numbers) and trailer."""
        numbers = sorted(self.offsets)
        size = numbers[-1] + 1
        xref = self.position
        lines = [b"xref\n0 1\n0000000000 65535 f \n"]
        run: list[int] = []
        for num in numbers:
            if run and num != run[-1] + 1:
                lines.append(self._subsection(run))
                run = []
            run.append(num)
        lines.append(self._subsection(run))
        lines.append(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref))
        self._write(b"".join(lines))

    def _subsection(self, run: list[int]) -> bytes:
        entries = b"".join(b"%010d 00000 n \n" % self.offsets[n] for n in run)
        return b"%d %d\n" % (run[0], len(run)) + entries


def _catalog(pages: int) -> bytes:
    return b"<< /Type /Catalog /Pages %d 0 R /Lang (vi) >>" % pages


def _pages(kids: list[int]) -> bytes:
    return b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )


def split(data: bytes) -> Iterator[bytes]:
    """One PDF per page of ``data``, each with the objects its page needs (same numbers)."""
    objects = Objects(data)
    catalog = max(objects.body) + 1
    for page in objects.page_numbers:
        out = io.BytesIO()
        writer = _Writer(out)
        for num in sorted(objects.closure([page], skip=objects.pages_root)):
            writer.add(num, objects.body[num])
        # The page's /Parent keeps pointing at the same number: a page tree of this page only.
        writer.add(objects.pages_root, _pages([page]))
        writer.add(catalog, _catalog(objects.pages_root))
        writer.finish(root=catalog)
        yield out.getvalue()


def merge(sources: Iterable[bytes], out: BinaryIO) -> int:
    """Write the pages of every PDF of ``sources``, in order, as one PDF; returns the page count."""
    writer = _Writer(out)
    pages_root, kids, base = 1, [], 2  # 1 is the new page tree, every source's objects follow
    for data in sources:
        objects = Objects(data)
        numbers = objects.closure(objects.page_numbers, skip=objects.pages_root)
        mapping = {num: base + i for i, num in enumerate(sorted(numbers))}
        mapping[objects.pages_root] = pages_root

        def renumber(match: re.Match, mapping=mapping) -> bytes:
            try:
                return b"%d 0 R" % mapping[int(match[1])]
            except KeyError:
                raise UnsupportedPDF(f"reference to object {match[1]} outside the pages") from None

        for num in sorted(numbers):
            body = objects.body[num]
            cut = _stream_start(body)
            if cut < 0:
                body = REFERENCE.sub(renumber, body)
            else:
                body = REFERENCE.sub(renumber, body[:cut]) + body[cut:]
            writer.add(mapping[num], body)
        kids.extend(mapping[p] for p in objects.page_numbers)
        base += len(numbers)
    writer.add(pages_root, _pages(kids))
    writer.add(base, _catalog(pages_root))
    writer.finish(root=base)
    return len(kids)
