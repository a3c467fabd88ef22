"""X12 837P professional claims in and out (issue 12).

    edi.x12        interchange envelopes and separators, segment by segment
    edi.records    plain dataclasses of an 837P (one Claim837 per CMS-1500)
    edi.claims837  837P (005010X222A1 / A2) reader into those dataclasses
    edi.write837   005010X222A1 writer from them
    edi.outgoing   claims.Claim -> Claim837, box by box, and the interchange of a clearinghouse
    edi.services   interchange_export (control numbers under a row lock, claims to sent), the background queue
    edi.background the "export_837p" batch kind: one 837P file per part
"""
