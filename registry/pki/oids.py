"""Object identifiers of Russian qualified certificates (Приказ ФСБ № 795) and GOST algorithms."""

OGRN = "1.2.643.100.1"
SNILS = "1.2.643.100.3"
INN_LE = "1.2.643.100.4"
OGRNIP = "1.2.643.100.5"
INN = "1.2.643.3.131.1.1"

SUBJECT_SIGN_TOOL = "1.2.643.100.111"
ISSUER_SIGN_TOOL = "1.2.643.100.112"

# Certificate policies naming the class of the signature tool (КС1 … КА1).
QUALIFIED_CLASSES = {
    "1.2.643.100.113.1": "КС1",
    "1.2.643.100.113.2": "КС2",
    "1.2.643.100.113.3": "КС3",
    "1.2.643.100.113.4": "КВ1",
    "1.2.643.100.113.5": "КВ2",
    "1.2.643.100.113.6": "КА1",
}

GOST_KEY_256 = "1.2.643.7.1.1.1.1"
GOST_KEY_512 = "1.2.643.7.1.1.1.2"
GOST_KEY_2001 = "1.2.643.2.2.19"
GOST_SIGN_256 = "1.2.643.7.1.1.3.2"
GOST_SIGN_512 = "1.2.643.7.1.1.3.3"
GOST_SIGN_2001 = "1.2.643.2.2.3"
GOST_DIGEST_94 = "1.2.643.2.2.9"  # GOST R 34.11-94, of GOST R 34.10-2001 signatures
GOST_DIGEST_256 = "1.2.643.7.1.1.2.2"
GOST_DIGEST_512 = "1.2.643.7.1.1.2.3"

GOST_SIGNATURES = {GOST_SIGN_256: 256, GOST_SIGN_512: 512}
GOST_KEYS = {GOST_KEY_256: 256, GOST_KEY_512: 512}

# Friendly names of GOST parameter sets, for display.
GOST_PARAMSETS = {
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.2.2.35.0": "id-GostR3410-2001-TestParamSet",
    "1.2.643.2.2.35.1": "id-GostR3410-2001-CryptoPro-A-ParamSet",
    "1.2.643.2.2.35.2": "id-GostR3410-2001-CryptoPro-B-ParamSet",
    "1.2.643.2.2.35.3": "id-GostR3410-2001-CryptoPro-C-ParamSet",
    "1.2.643.2.2.36.0": "id-GostR3410-2001-CryptoPro-XchA-ParamSet",
    "1.2.643.2.2.36.1": "id-GostR3410-2001-CryptoPro-XchB-ParamSet",
    "1.2.643.7.1.2.1.2.0": "id-tc26-gost-3410-2012-512-paramSetTest",
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-2012-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-2012-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}
