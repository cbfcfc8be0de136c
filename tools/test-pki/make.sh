#!/usr/bin/env bash
# Makes a test public-key infrastructure shaped like Kazakhstan's National
# Certification Authority (NCA), for the tests of signing in and signing
# with an electronic digital signature (issue 21):
#
#   tools/test-pki/make.sh DIR
#
# DIR receives, each certificate as NAME.pem and its key as NAME.key:
#   root            the test root (like "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)")
#   inter           the intermediate that issues people's certificates
#   person          a person's authentication certificate: SERIALNUMBER=IIN...,
#                   policy 1.2.398.3.3.4.1.1, extended key usage clientAuth
#   org             an organisation employee's authentication certificate:
#                   OU=BIN..., O=..., policy 1.2.398.3.3.4.1.2
#   signer          a person's signing certificate (non-repudiation, no
#                   clientAuth): signs documents, cannot sign in
#   org-signer      an organisation employee's signing certificate
#   expired         an authentication certificate that expired in 2021
#   revoked         an authentication certificate on the intermediate's CRL
#   forged          an authentication certificate naming the intermediate as
#                   its issuer, made by another key under the same name
#   stranger        an authentication certificate of another root (other-root)
# and root.crl and inter.crl (DER), the revocation lists (version 2, with a
# CRL number, as RFC 5280 and the NCA issue them), valid ten years.
# The IINs and BINs have right check digits. Uses only the openssl command.
set -euo pipefail
out="${1:?usage: make.sh DIR}"
mkdir -p "$out"
cd "$out"
export CA_NAME=root

cat > ca.cnf <<'CNF'
[ca]
default_ca = ca
[ca]
dir = .
database = $ENV::CA_NAME.index
new_certs_dir = .
serial = $ENV::CA_NAME.serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
default_crl_days = 3650
crlnumber = $ENV::CA_NAME.crlnumber
crl_extensions = crl_ext
utf8 = yes
string_mask = utf8only
[any]
commonName = optional
surname = optional
serialNumber = optional
countryName = optional
givenName = optional
organizationName = optional
organizationalUnitName = optional
emailAddress = optional
[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[dn]
CN = unused
[crl_ext]
authorityKeyIdentifier = keyid:always
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[person_auth]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
certificatePolicies = 1.2.398.3.3.4.1.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[org_auth]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
certificatePolicies = 1.2.398.3.3.4.1.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[person_sign]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
certificatePolicies = 1.2.398.3.3.4.1.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[org_sign]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
certificatePolicies = 1.2.398.3.3.4.1.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

quiet() { "$@" >/dev/null 2>&1 || { echo "make.sh: failed: $*" >&2; "$@"; exit 1; }; }

# A CA's files: NAME.index, NAME.serial.
ca_files() { : > "$1.index"; printf '1000\n' > "$1.serial"; printf '01\n' > "$1.crlnumber"; }

# key NAME: a fresh 2048-bit RSA key.
key() { quiet openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"; }

# issue CA NAME SECTION SUBJECT [START END]: NAME.pem, signed by CA.
issue() {
  local ca="$1" name="$2" section="$3" subject="$4" start="${5:-20200101000000Z}" end="${6:-20460101000000Z}"
  key "$name"
  quiet openssl req -new -config ca.cnf -utf8 -key "$name.key" -subj "$subject" -out "$name.csr"
  CA_NAME="$ca" quiet openssl ca -batch -config ca.cnf -notext -utf8 -preserveDN \
    -cert "$ca.pem" -keyfile "$ca.key" -extensions "$section" \
    -startdate "$start" -enddate "$end" -in "$name.csr" -out "$name.pem"
  rm -f "$name.csr"
}

# root NAME SUBJECT: a self-signed root, valid from 2020 (as the others: the
# tests' clocks may stand before today).
root() {
  ca_files "$1"
  key "$1"
  quiet openssl req -new -config ca.cnf -utf8 -key "$1.key" -subj "$2" -out "$1.csr"
  CA_NAME="$1" quiet openssl ca -batch -config ca.cnf -notext -utf8 -preserveDN -selfsign \
    -keyfile "$1.key" -extensions root -startdate 20200101000000Z -enddate 20500101000000Z \
    -in "$1.csr" -out "$1.pem"
  rm -f "$1.csr"
}

root root "/C=KZ/CN=ТЕСТ ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)"
ca_files inter
issue root inter inter "/C=KZ/CN=ТЕСТ ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) 2"

issue inter person person_auth "/CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN880101300123/C=KZ/GN=ТЕСТОВИЧ"
issue inter org org_auth "/CN=АХМЕТОВА АЙГҮЛ/SN=АХМЕТОВА/serialNumber=IIN900202400343/C=KZ/O=ТОО «Сенім Тест»/OU=BIN960640005526/GN=СЕРІКҚЫЗЫ"
issue inter signer person_sign "/CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN880101300123/C=KZ/GN=ТЕСТОВИЧ"
issue inter org-signer org_sign "/CN=АХМЕТОВА АЙГҮЛ/SN=АХМЕТОВА/serialNumber=IIN900202400343/C=KZ/O=ТОО «Сенім Тест»/OU=BIN960640005526/GN=СЕРІКҚЫЗЫ"
issue inter expired person_auth "/CN=ЕСКІ ЕРЛАН/SN=ЕСКІ/serialNumber=IIN750303500560/C=KZ" 20200101000000Z 20210101000000Z
issue inter revoked person_auth "/CN=ҚАЙТАРЫЛҒАН ҚАНАТ/SN=ҚАЙТАРЫЛҒАН/serialNumber=IIN850404600785/C=KZ"
CA_NAME=inter quiet openssl ca -config ca.cnf -cert inter.pem -keyfile inter.key -revoke revoked.pem -crl_reason keyCompromise

CA_NAME=root quiet openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -out root.crl.pem
CA_NAME=inter quiet openssl ca -config ca.cnf -cert inter.pem -keyfile inter.key -gencrl -out inter.crl.pem
for crl in root inter; do
  quiet openssl crl -in "$crl.crl.pem" -outform DER -out "$crl.crl"
  rm -f "$crl.crl.pem"
done

# A forgery: a CA of its own under the intermediate's very name.
root fake-inter "/C=KZ/CN=ТЕСТ ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) 2"
issue fake-inter forged person_auth "/CN=ЖАЛҒАН ЖАНАР/SN=ЖАЛҒАН/serialNumber=IIN880101300123/C=KZ"
rm -f fake-inter.key

root other-root "/C=KZ/CN=БАСҚА ОРТАЛЫҚ"
issue other-root stranger person_auth "/CN=БЕЙТАНЫС БЕКЗАТ/SN=БЕЙТАНЫС/serialNumber=IIN920505700904/C=KZ"

rm -f ./*.index* ./*.serial* ./*.crlnumber* ./*.old ./[0-9A-F][0-9A-F][0-9A-F][0-9A-F].pem ca.cnf
