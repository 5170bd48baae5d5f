#!/usr/bin/env python3
"""Convert Project Wycheproof JSON test vectors into the record format of vectors/ (see
vectors/README.md), keeping only what applies to SSH's encodings. Usage:
    wycheproof_convert.py <wycheproof testvectors dir> <output dir>   (run by the ctest fixture)
Records: "name = value" lines, blank-line separated. A record with "pub" (or "n"/"e") starts a new
key; test records carry tc, result (valid/invalid/acceptable) and the inputs. Cases that only
exercise an encoding SSH does not use (DER/BER envelopes, compressed points, P1363 lengths) are
dropped; the integers inside a strictly-DER signature are kept verbatim, so a DER integer that is
not minimal or is negative becomes an SSH mpint that must be refused the same way."""
import json
import math
import os
import sys


def der_len(b, i):
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    if k == 0 or k > 2 or b[i + 1] == 0:
        raise ValueError("non-minimal length")
    v = int.from_bytes(b[i + 1:i + 1 + k], "big")
    if v < 0x80 or (k == 2 and v < 0x100):
        raise ValueError("non-minimal length")
    return v, i + 1 + k


def der_ecdsa_sig(b):
    """Strict DER SEQUENCE { INTEGER r, INTEGER s }: returns the raw INTEGER contents."""
    if len(b) < 2 or b[0] != 0x30:
        raise ValueError("not a sequence")
    n, i = der_len(b, 1)
    if i + n != len(b):
        raise ValueError("sequence length")
    out = []
    for _ in range(2):
        if i >= len(b) or b[i] != 0x02:
            raise ValueError("not an integer")
        n, i = der_len(b, i + 1)
        if n == 0 or i + n > len(b):
            raise ValueError("integer length")
        out.append(b[i:i + n])
        i += n
    if i != len(b):
        raise ValueError("trailing")
    return out


def mpint_hex(v):
    """Minimal two's-complement bytes of a non-negative integer, as an SSH mpint holds it."""
    if v == 0:
        return ""
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return b.hex()


def mag_hex(v):
    """Unsigned big-endian magnitude without leading zeros (struct hs_key_raw's fields)."""
    return v.to_bytes((v.bit_length() + 7) // 8, "big").hex()


def rec(f, **kw):
    f.write("\n")
    for k, v in kw.items():
        f.write("%s = %s\n" % (k, v))


def header(f, src, what):
    f.write("# Converted from Project Wycheproof %s (Apache-2.0, see LICENSE) by convert.py.\n"
            "# %s\n" % (src, what))


def ecdsa(src, dst, p1363=False):
    d = json.load(open(src))
    kept = dropped = 0
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "ECDSA verification; r and s are SSH mpint contents.")
        for g in d["testGroups"]:
            pub = g["publicKey"]["uncompressed"]
            size = (g["publicKey"]["keySize"] + 7) // 8
            rec(f, pub=pub)
            for t in g["tests"]:
                sig = bytes.fromhex(t["sig"])
                try:
                    if p1363:
                        if len(sig) != 2 * size:
                            raise ValueError("length")
                        r = mpint_hex(int.from_bytes(sig[:size], "big"))
                        s = mpint_hex(int.from_bytes(sig[size:], "big"))
                    else:
                        r, s = (x.hex() for x in der_ecdsa_sig(sig))
                except (ValueError, IndexError):
                    dropped += 1
                    continue
                kept += 1
                rec(f, tc=t["tcId"], result=t["result"], msg=t["msg"], r=r, s=s)
    print(dst, kept, "kept", dropped, "dropped")


def ed25519(src, dst):
    d = json.load(open(src))
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "Ed25519 verification (RFC 8032).")
        n = 0
        for g in d["testGroups"]:
            rec(f, pub=g["publicKey"]["pk"])
            for t in g["tests"]:
                rec(f, tc=t["tcId"], result=t["result"], msg=t["msg"], sig=t["sig"])
                n += 1
    print(dst, n)


def rsa_verify(src, dst):
    d = json.load(open(src))
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "RSASSA-PKCS1-v1_5 verification; n and e as magnitudes.")
        n = 0
        for g in d["testGroups"]:
            pk = g["publicKey"]
            rec(f, n=mag_hex(int(pk["modulus"], 16)), e=mag_hex(int(pk["publicExponent"], 16)))
            for t in g["tests"]:
                rec(f, tc=t["tcId"], result=t["result"], msg=t["msg"], sig=t["sig"])
                n += 1
    print(dst, n)


def rsa_factor(n, e, d):
    """p, q from n, e, d (the standard method, e.g. SP 800-56B Appendix C)."""
    k = e * d - 1
    t = 0
    while k % 2 == 0:
        k //= 2
        t += 1
    for g in range(2, 1000):
        x = pow(g, k, n)
        for _ in range(t):
            y = pow(x, 2, n)
            if y == 1 and x not in (1, n - 1):
                p = math.gcd(x - 1, n)
                return max(p, n // p), min(p, n // p)
            x = y
    raise ValueError("cannot factor")


def rsa_sign(src, dst):
    d = json.load(open(src))
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "RSASSA-PKCS1-v1_5 signing (deterministic), SHA-256 and "
               "SHA-512 groups; p, q, iqmp recovered from n, e, d by convert.py.")
        n = 0
        for g in d["testGroups"]:
            if g["sha"] not in ("SHA-256", "SHA-512"):
                continue
            k = g["privateKey"]
            nn, e, dd = (int(k[x], 16) for x in ("modulus", "publicExponent", "privateExponent"))
            p, q = rsa_factor(nn, e, dd)
            rec(f, n=mag_hex(nn), e=mag_hex(e), d=mag_hex(dd), p=mag_hex(p),
                q=mag_hex(q), iqmp=mag_hex(pow(q, -1, p)), sha=g["sha"])
            for t in g["tests"]:
                rec(f, tc=t["tcId"], result=t["result"], msg=t["msg"], sig=t["sig"])
                n += 1
    print(dst, n)


NAMED_CURVE_ALG = {
    48: bytes.fromhex("06072a8648ce3d020106052b81040022"),
    66: bytes.fromhex("06072a8648ce3d020106052b81040023"),
}


def spki_point(der_hex, size):
    """The EC point of a plain SubjectPublicKeyInfo, or None."""
    b = bytes.fromhex(der_hex)
    try:
        if b[0] != 0x30:
            return None
        n, i = der_len(b, 1)
        if b[i] != 0x30:
            return None
        n, j = der_len(b, i + 1)
        # AlgorithmIdentifier must be id-ecPublicKey with the named curve (RFC 5480 2.1.1);
        # explicit parameters do not exist in SSH.
        if b[j:j + n] != NAMED_CURVE_ALG[size]:
            return None
        i = j + n
        if b[i] != 0x03:
            return None
        n, i = der_len(b, i + 1)
        if b[i] != 0 or i + n != len(b):
            return None
        pt = b[i + 1:]
        if len(pt) != 1 + 2 * size or pt[0] != 4:
            return None
        return pt.hex()
    except (IndexError, ValueError):
        return None


def ecdh(src, dst, size, ecpoint):
    d = json.load(open(src))
    kept = dropped = 0
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "ECDH with uncompressed peer points (RFC 5656 4).")
        for g in d["testGroups"]:
            for t in g["tests"]:
                pub = t["public"] if ecpoint else spki_point(t["public"], size)
                if ecpoint and (len(pub) != 2 * (1 + 2 * size) or not pub.startswith("04")):
                    pub = None
                if pub is None:
                    dropped += 1
                    continue
                kept += 1
                rec(f, tc=t["tcId"], result=t["result"], private=t["private"], public=pub,
                    shared=t["shared"])
    print(dst, kept, "kept", dropped, "dropped")


def x25519(src, dst):
    d = json.load(open(src))
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "X25519 (RFC 7748); flags name the edge case.")
        n = 0
        for g in d["testGroups"]:
            for t in g["tests"]:
                rec(f, tc=t["tcId"], result=t["result"], flags=",".join(t["flags"]) or "-",
                    private=t["private"], public=t["public"], shared=t["shared"])
                n += 1
    print(dst, n)


def aes_gcm(src, dst):
    d = json.load(open(src))
    n = 0
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "AES-GCM with 128/256-bit keys, 96-bit IV, 128-bit tag "
               "(the aes*-gcm@openssh.com parameters).")
        for g in d["testGroups"]:
            if g["keySize"] not in (128, 256) or g["ivSize"] != 96 or g["tagSize"] != 128:
                continue
            for t in g["tests"]:
                rec(f, tc=t["tcId"], result=t["result"], key=t["key"], iv=t["iv"], aad=t["aad"],
                    msg=t["msg"], ct=t["ct"], tag=t["tag"])
                n += 1
    print(dst, n)


def hmac(src, dst, full):
    d = json.load(open(src))
    n = 0
    with open(dst, "w") as f:
        header(f, os.path.basename(src), "HMAC with untruncated tags.")
        for g in d["testGroups"]:
            if g["tagSize"] != full:
                continue
            for t in g["tests"]:
                rec(f, tc=t["tcId"], result=t["result"], key=t["key"], msg=t["msg"], tag=t["tag"])
                n += 1
    print(dst, n)


def main():
    s, o = sys.argv[1], sys.argv[2]
    os.makedirs(o, exist_ok=True)
    j = lambda x: os.path.join(s, x)
    w = lambda x: os.path.join(o, x)
    ecdsa(j("ecdsa_secp256r1_sha256_p1363_test.json"), w("ecdsa_p256_p1363.txt"), p1363=True)
    ecdsa(j("ecdsa_secp256r1_sha256_test.json"), w("ecdsa_p256.txt"))
    ecdsa(j("ecdsa_secp384r1_sha384_test.json"), w("ecdsa_p384.txt"))
    ecdsa(j("ecdsa_secp521r1_sha512_test.json"), w("ecdsa_p521.txt"))
    ed25519(j("ed25519_test.json"), w("ed25519.txt"))
    rsa_verify(j("rsa_signature_2048_sha256_test.json"), w("rsa_2048_sha256.txt"))
    rsa_verify(j("rsa_signature_2048_sha512_test.json"), w("rsa_2048_sha512.txt"))
    rsa_verify(j("rsa_signature_3072_sha256_test.json"), w("rsa_3072_sha256.txt"))
    rsa_verify(j("rsa_signature_4096_sha512_test.json"), w("rsa_4096_sha512.txt"))
    rsa_sign(j("rsa_pkcs1_3072_sig_gen_test.json"), w("rsa_3072_sign.txt"))
    ecdh(j("ecdh_secp256r1_ecpoint_test.json"), w("ecdh_p256.txt"), 32, True)
    ecdh(j("ecdh_secp384r1_test.json"), w("ecdh_p384.txt"), 48, False)
    ecdh(j("ecdh_secp521r1_test.json"), w("ecdh_p521.txt"), 66, False)
    x25519(j("x25519_test.json"), w("x25519.txt"))
    aes_gcm(j("aes_gcm_test.json"), w("aes_gcm.txt"))
    hmac(j("hmac_sha256_test.json"), w("hmac_sha256.txt"), 256)
    hmac(j("hmac_sha512_test.json"), w("hmac_sha512.txt"), 512)


if __name__ == "__main__":
    main()
