"""The printable delivery note (配送单) of a run, in Chinese: one section per clinic, a line to
sign for each order."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from gpassist.db import SHANGHAI
from gpassist.pharmacy.schemas import OrderBrief, RunOut
from gpassist.pharmacy.tables import DeliveryRun


def delivery_note_html(run: DeliveryRun, out: RunOut) -> str:
    by_clinic: dict[str, list[OrderBrief]] = defaultdict(list)
    for order in out.orders:
        by_clinic[order.clinic].append(order)
    sections = []
    for clinic, clinic_orders in sorted(by_clinic.items()):
        rows = "".join(
            f"<tr><td>{o.id}</td><td>{escape(o.patient_name)}</td>"
            f"<td>{'；'.join(f'{escape(x.drug_name.zh)} × {x.quantity}' for x in o.lines)}</td>"
            f"<td>{'免费配送' if o.free_delivery else ''}{'（急）' if o.urgent else ''}</td>"
            f"<td class=sign></td></tr>"
            for o in clinic_orders
        )
        sections.append(
            f"<h2>{escape(clinic)}（{len(clinic_orders)} 单）</h2>"
            "<table><tr><th>订单号</th><th>患者</th><th>药品 × 数量</th><th>备注</th>"
            f"<th>村医签收</th></tr>{rows}</table>"
        )
    created = out.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>配送单 {run.id}</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:1em auto}}table{{width:100%;
border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .4em}}.sign{{width:7em}}
@media print{{button{{display:none}}}}</style>
<h1>县中心药房配送单 · {escape(out.town_name.zh)}</h1>
<p>配送批次 {run.id} · 发出时间 {created} · 药师 {escape(out.created_by)} ·
共 {len(out.orders)} 单</p>
{"".join(sections)}
<p>村医收到后请在系统中确认送达；患者取药后请确认取药。</p>
<button onclick="print()">打印</button></html>"""
