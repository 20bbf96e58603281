"""The codes the canonical model is written in: disease, test types, results, schema version.

Kept apart from the pydantic models so that the format readers, which only compare and write
codes, load without pydantic: a verifier's first report then comes a tenth of a second sooner.
"""

from __future__ import annotations

COVID_19 = "840539006"  # SNOMED CT: COVID-19, the disease the EU DCC value set names

TEST_TYPE_NAAT = "LP6464-4"  # LOINC: nucleic acid amplification with probe detection (PCR)
TEST_TYPE_RAPID_ANTIGEN = "LP217198-3"  # LOINC: rapid immunoassay
TEST_TYPE_ANTIBODY_IGG = "94563-4"  # LOINC: SARS-CoV-2 IgG Ab, serum or plasma, immunoassay
TEST_TYPE_ANTIBODY_IGA = "94562-6"  # LOINC: SARS-CoV-2 IgA Ab, serum or plasma, immunoassay
TEST_TYPE_ANTIBODY_IGM = "94564-2"  # LOINC: SARS-CoV-2 IgM Ab, serum or plasma, immunoassay
ANTIBODY_TEST_TYPES = frozenset(
    {TEST_TYPE_ANTIBODY_IGG, TEST_TYPE_ANTIBODY_IGA, TEST_TYPE_ANTIBODY_IGM}
)

RESULT_NOT_DETECTED = "260415000"  # SNOMED CT
RESULT_DETECTED = "260373001"  # SNOMED CT

SCHEMA_VERSION = "1.3.0"  # the EU DCC schema version a certificate is written in by default
