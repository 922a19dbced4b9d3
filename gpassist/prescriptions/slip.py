"""The printable prescription slip (处方笺) handed to the patient, in Chinese."""

from __future__ import annotations

from html import escape

from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Facility
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Encounter, Patient
from gpassist.pharmacy.tables import PharmacyOrder
from gpassist.prescriptions.rules import FREQUENCY_ZH
from gpassist.prescriptions.tables import LineSource, Prescription

SEX_ZH = {"male": "男", "female": "女"}
SOURCE_ZH = {
    LineSource.clinic: "本卫生室已发药",
    LineSource.central: "县中心药房配送至本卫生室",
}


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def slip_html(session: Session, prescription: Prescription, order: PharmacyOrder | None) -> str:
    clinic = session.get(Facility, prescription.clinic_id)
    patient = session.get(Patient, prescription.patient_id)
    doctor = session.get(User, prescription.doctor_id)
    encounter = session.get(Encounter, prescription.encounter_id)
    assert clinic and patient and doctor and encounter
    rows = "".join(
        f"<tr><td>{line.line_no}</td><td>{escape(line.drug.name_zh)} {escape(line.drug.strength)}"
        f"</td><td>{line.quantity}{escape(line.drug.unit_zh)}</td>"
        f"<td>每次 {line.dose:g} {escape(line.drug.dose_unit)}，{FREQUENCY_ZH[line.frequency]}，"
        f"共 {line.days} 天{('；' + escape(line.instructions)) if line.instructions else ''}</td>"
        f"<td>{SOURCE_ZH[line.source]}</td></tr>"
        for line in prescription.lines
    )
    delivery = ""
    if order is not None:
        free = "（建档立卡户，免费配送）" if order.free_delivery else ""
        delivery = f"<p>中心药房订单号 {order.id}{free}：药品送达本卫生室后，村医会通知您来取。</p>"
    long_reason = (
        f"<p>长处方理由：{escape(prescription.long_prescription_reason)}</p>"
        if prescription.long_prescription_reason
        else ""
    )
    diagnoses = "、".join(escape(code) for code in encounter.diagnoses) or "—"
    age = age_on(patient.birth_date, prescription.issued_on)
    return f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>处方笺 {prescription.id}</title>
<style>body{{font-family:sans-serif;max-width:42em;margin:1em auto}}table{{width:100%;
border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .4em}}
@media print{{button{{display:none}}}}</style>
<h1>{escape(clinic.name_zh)} 处方笺</h1>
<p>处方号 {prescription.id} · 日期 {prescription.issued_on} · 患者 {escape(patient.name)} ·
{SEX_ZH.get(patient.sex.value, "")} · {age} 岁{
        f" · 体重 {prescription.weight_kg:g} kg" if prescription.weight_kg else ""
    }</p>
<p>诊断（ICD-10）：{diagnoses}</p>
<h2>Rp.</h2>
<table><tr><th>#</th><th>药品</th><th>数量</th><th>用法用量</th><th>取药</th></tr>{rows}</table>
{long_reason}{delivery}
<p>药费合计 {_yuan(prescription.total_fen)} 元 · 医师 {escape(doctor.display_name)}</p>
<button onclick="print()">打印</button></html>"""
