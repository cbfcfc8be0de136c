"""A second independent verifier: openbadgeslib (PyPI, with PyLD) checks a
Senim credential's eddsa-rdfc-2022 proof and its revocation bit.

    python verify_openbadgeslib.py CREDENTIAL.json STATUS_LIST.json

Prints "verified" and exits 0, or prints the reason on stderr and exits 1.
Offline: the status list is the file given, for the URL the credential
names. openbadgeslib 4.6.3 verifies the signature of a status list only when
it is a JWT-VC, so here it reads the bit without checking the list's Data
Integrity proof (verify.mjs checks that).
"""
import json
import sys

from openbadgeslib.ob3.ldp import OB3LdpVerifier
from openbadgeslib.ob3.verifier import OB3VerificationError


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: python verify_openbadgeslib.py CREDENTIAL.json STATUS_LIST.json",
              file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        credential = json.load(f)
    with open(sys.argv[2], "rb") as f:
        status_list = f.read()
    list_url = json.loads(status_list)["id"]

    def download(url: str) -> bytes:
        if url == list_url:
            return status_list
        raise OB3VerificationError("the verifier loads nothing from the network: " + url)

    try:
        OB3LdpVerifier().verify(credential, check_status=True, download=download,
                                verify_status_list=False)
    except OB3VerificationError as error:
        print("not verified: %s" % error, file=sys.stderr)
        return 1
    print("verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
