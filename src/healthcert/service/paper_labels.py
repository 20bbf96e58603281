"""The paper certificate's labels in English and in the issuing country's language."""

from __future__ import annotations

LANGUAGE_OF_COUNTRY = {"CN": "zh", "DE": "de", "AT": "de", "FR": "fr", "LU": "fr"}

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title.vaccination": "Certificate of vaccination",
        "title.test": "Certificate of test result",
        "title.recovery": "Certificate of recovery",
        "name": "Name",
        "name_latin": "Name (ICAO 9303)",
        "date_of_birth": "Date of birth",
        "document_number": "Document number",
        "disease": "Disease or agent",
        "vaccine": "Vaccine or prophylaxis",
        "product": "Vaccine product",
        "manufacturer": "Manufacturer",
        "doses": "Dose number / total",
        "date": "Date of vaccination",
        "test_type": "Type of test",
        "test_name": "Test name",
        "test_device": "Test device",
        "sample_time": "Date and time of sample",
        "result": "Test result",
        "centre": "Testing centre",
        "first_positive": "Date of first positive test",
        "valid_from": "Valid from",
        "valid_until": "Valid until",
        "country": "Country",
        "issuer": "Certificate issuer",
        "uvci": "Unique certificate identifier",
        "issued": "Issued",
        "expires": "This signed certificate expires",
        "scan": "Scan the QR code to verify this certificate.",
    },
    "zh": {
        "title.vaccination": "疫苗接种证明",
        "title.test": "检测结果证明",
        "title.recovery": "康复证明",
        "name": "姓名",
        "name_latin": "姓名（拉丁字母）",
        "date_of_birth": "出生日期",
        "document_number": "证件号码",
        "disease": "疾病或病原体",
        "vaccine": "疫苗或预防措施",
        "product": "疫苗产品",
        "manufacturer": "生产厂家",
        "doses": "剂次／总剂次",
        "date": "接种日期",
        "test_type": "检测类型",
        "test_name": "检测名称",
        "test_device": "检测试剂",
        "sample_time": "采样日期和时间",
        "result": "检测结果",
        "centre": "检测机构",
        "first_positive": "首次阳性检测日期",
        "valid_from": "有效期起",
        "valid_until": "有效期至",
        "country": "国家",
        "issuer": "证书签发机构",
        "uvci": "证书唯一标识",
        "issued": "签发时间",
        "expires": "本电子签名证书到期",
        "scan": "扫描二维码验证本证书。",
    },
    "de": {
        "title.vaccination": "Impfzertifikat",
        "title.test": "Testzertifikat",
        "title.recovery": "Genesenenzertifikat",
        "name": "Name",
        "name_latin": "Name (ICAO 9303)",
        "date_of_birth": "Geburtsdatum",
        "document_number": "Ausweisnummer",
        "disease": "Krankheit oder Erreger",
        "vaccine": "Impfstoff oder Prophylaxe",
        "product": "Impfstoffprodukt",
        "manufacturer": "Hersteller",
        "doses": "Dosis / Gesamtzahl",
        "date": "Datum der Impfung",
        "test_type": "Art des Tests",
        "test_name": "Testname",
        "test_device": "Testgerät",
        "sample_time": "Datum und Uhrzeit der Probenahme",
        "result": "Testergebnis",
        "centre": "Testzentrum",
        "first_positive": "Datum des ersten positiven Tests",
        "valid_from": "Gültig ab",
        "valid_until": "Gültig bis",
        "country": "Land",
        "issuer": "Zertifikataussteller",
        "uvci": "Eindeutige Zertifikatkennung",
        "issued": "Ausgestellt am",
        "expires": "Dieses signierte Zertifikat läuft ab",
        "scan": "QR-Code scannen, um dieses Zertifikat zu prüfen.",
    },
    "fr": {
        "title.vaccination": "Certificat de vaccination",
        "title.test": "Certificat de test",
        "title.recovery": "Certificat de rétablissement",
        "name": "Nom",
        "name_latin": "Nom (OACI 9303)",
        "date_of_birth": "Date de naissance",
        "document_number": "Numéro du document",
        "disease": "Maladie ou agent",
        "vaccine": "Vaccin ou prophylaxie",
        "product": "Produit vaccinal",
        "manufacturer": "Fabricant",
        "doses": "Dose / total",
        "date": "Date de vaccination",
        "test_type": "Type de test",
        "test_name": "Nom du test",
        "test_device": "Dispositif de test",
        "sample_time": "Date et heure du prélèvement",
        "result": "Résultat du test",
        "centre": "Centre de test",
        "first_positive": "Date du premier test positif",
        "valid_from": "Valable à partir du",
        "valid_until": "Valable jusqu'au",
        "country": "Pays",
        "issuer": "Émetteur du certificat",
        "uvci": "Identifiant unique du certificat",
        "issued": "Délivré le",
        "expires": "Ce certificat signé expire le",
        "scan": "Scannez le code QR pour vérifier ce certificat.",
    },
}


def language_of(country: str) -> str | None:
    """The second language of a country's paper certificate, None when it is English only."""
    return LANGUAGE_OF_COUNTRY.get(country.upper())


def label(key: str, language: str | None) -> str:
    """``English / local`` for ``key``, or English alone."""
    english = _LABELS["en"][key]
    if language is None or language == "en":
        return english
    return f"{english} / {_LABELS[language][key]}"


def local(key: str, language: str | None) -> str | None:
    if language is None or language == "en":
        return None
    return _LABELS[language][key]
