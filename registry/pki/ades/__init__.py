"""Advanced electronic signatures (CAdES, PAdES) on pyHanko's AdES validation, GOST included.

``plug`` teaches pyHanko GOST; ``cms`` reads CMS signatures; ``verify`` is the one verifier;
``report`` turns its verdicts into the report people read; ``limits`` bounds the work.
"""
