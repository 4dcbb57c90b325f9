"""Tiny server-side SVG charts for web pages and WeasyPrint documents (no JavaScript, no CDN).

``bar_chart`` draws horizontal bars (e.g. the recognition rate per commune), ``line_chart`` a
trend over years. Both return an ``<svg>`` string that is safe to mark as safe in a template:
every label is XML-escaped. Pass ``font_family`` explicitly when the SVG goes into a PDF
(WeasyPrint does not inherit the page font into inline SVG): ``font_family="Liberation Serif"``.
"""

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

PALETTE = ("#1f4e9e", "#c0392b", "#2e8540", "#b8860b", "#6a3d9a", "#00838f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


def percent(value: float) -> str:
    """'93,8 %' (Vietnamese decimal comma)."""
    return f"{value:.1f}".replace(".", ",") + " %"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clip(label: str, max_chars: int) -> str:
    label = str(label)
    return label if len(label) <= max_chars else label[: max_chars - 1] + "…"


def _svg_open(width: float, height: float, title: str, font_family: str, font_size: float) -> list[str]:
    label = quoteattr(title or "chart")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" role="img" aria-label={label} '
        f'font-family={quoteattr(font_family)} font-size="{_num(font_size)}">',
        f"<title>{escape(title)}</title>" if title else "",
    ]


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    width: float = 640,
    bar_height: float = 16,
    gap: float = 6,
    label_width: float = 190,
    max_value: float = 100,
    threshold: float | None = None,
    title: str = "",
    fmt: Callable[[float], str] = percent,
    color: str = PALETTE[0],
    font_family: str = "inherit",
    font_size: float = 11,
) -> str:
    """Horizontal bars, one per ``(label, value)``; ``threshold`` draws a dashed marker line. A
    ``None`` value (nothing to measure) draws no bar and prints "—"."""
    top, bottom, value_room = 4, 18, 58
    plot_width = max(width - label_width - value_room, 40)
    height = top + bottom + len(items) * (bar_height + gap)
    scale = plot_width / max_value if max_value else 0
    max_chars = int(label_width / (font_size * 0.5))
    parts = _svg_open(width, height, title, font_family, font_size)
    x0 = label_width
    # Axis with ticks at 0, 25, 50, 75, 100 % of max_value.
    axis_y = height - bottom + 2
    parts.append(f'<line x1="{_num(x0)}" y1="{top}" x2="{_num(x0)}" y2="{_num(axis_y)}" stroke="#555"/>')
    for step in range(5):
        v = max_value * step / 4
        x = x0 + v * scale
        parts.append(
            f'<line x1="{_num(x)}" y1="{top}" x2="{_num(x)}" y2="{_num(axis_y)}" stroke="#ddd" '
            f'stroke-width="0.5"/><text x="{_num(x)}" y="{_num(axis_y + 12)}" text-anchor="middle" '
            f'fill="#444">{escape(_num(v))}</text>'
        )
    for i, (label, value) in enumerate(items):
        y = top + gap / 2 + i * (bar_height + gap)
        length = 0.0 if value is None else max(0.0, min(float(value), max_value)) * scale
        text_y = y + bar_height * 0.75
        parts.append(
            f'<text x="{_num(x0 - 6)}" y="{_num(text_y)}" text-anchor="end" fill="#111">'
            f"{escape(_clip(label, max_chars))}</text>"
            f'<rect x="{_num(x0)}" y="{_num(y)}" width="{_num(length)}" height="{_num(bar_height)}" '
            f'fill="{color}"/>'
            f'<text x="{_num(x0 + length + 4)}" y="{_num(text_y)}" fill="#111">'
            f"{escape('—' if value is None else fmt(value))}</text>"
        )
    if threshold is not None:
        x = x0 + threshold * scale
        parts.append(
            f'<line x1="{_num(x)}" y1="{top}" x2="{_num(x)}" y2="{_num(axis_y)}" stroke="#c0392b" '
            f'stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
    *,
    width: float = 640,
    height: float = 240,
    max_value: float = 100,
    title: str = "",
    fmt: Callable[[float], str] = percent,
    font_family: str = "inherit",
    font_size: float = 11,
) -> str:
    """One line per ``(name, [(x_label, value), …])``; all series share the x labels of the
    first one. ``None`` values leave a gap. A legend sits under the plot."""
    x_labels = [str(x) for x, _ in series[0][1]] if series else []
    left, right, top = 44, 16, 10
    legend_rows = (len(series) + 2) // 3
    bottom = 26 + legend_rows * (font_size + 6)
    plot_w = max(width - left - right, 40)
    plot_h = max(height - top - bottom, 40)
    scale = plot_h / max_value if max_value else 0
    step = plot_w / max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if len(x_labels) > 1 else plot_w / 2)
        return x, top + plot_h - max(0.0, min(float(v), max_value)) * scale

    parts = _svg_open(width, height, title, font_family, font_size)
    for k in range(5):
        v = max_value * k / 4
        y = top + plot_h - v * scale
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{_num(left + plot_w)}" y2="{_num(y)}" '
            f'stroke="{"#555" if k == 0 else "#ddd"}" stroke-width="{1 if k == 0 else 0.5}"/>'
            f'<text x="{left - 4}" y="{_num(y + font_size * 0.35)}" text-anchor="end" fill="#444">'
            f"{escape(_num(v))}</text>"
        )
    for i, label in enumerate(x_labels):
        x, _ = xy(i, 0)
        parts.append(
            f'<text x="{_num(x)}" y="{_num(top + plot_h + font_size + 4)}" text-anchor="middle" '
            f'fill="#444">{escape(label)}</text>'
        )
    for n, (name, points) in enumerate(series):
        color, dash = PALETTE[n % len(PALETTE)], DASHES[n % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        runs: list[list[tuple[float, float]]] = [[]]
        for i, (_, value) in enumerate(points):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(xy(i, value))
            cx, cy = runs[-1][-1]
            parts.append(
                f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="2.5" fill="{color}">'
                f"<title>{escape(f'{name} {x_labels[i] if i < len(x_labels) else ""}: {fmt(value)}')}"
                "</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.8"{dash_attr}/>'
                )
        row, col = divmod(n, 3)
        lx = left + col * (plot_w / 3)
        ly = top + plot_h + 24 + row * (font_size + 6)
        parts.append(
            f'<line x1="{_num(lx)}" y1="{_num(ly - font_size * 0.35)}" x2="{_num(lx + 18)}" '
            f'y2="{_num(ly - font_size * 0.35)}" stroke="{color}" stroke-width="1.8"{dash_attr}/>'
            f'<text x="{_num(lx + 22)}" y="{_num(ly)}" fill="#111">'
            f"{escape(_clip(name, int(plot_w / 3 / (font_size * 0.5)) - 4))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
