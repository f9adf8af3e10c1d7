//! SM2 signatures against an independent implementation: OpenSSL 3's
//! SM2 (with the same distinguishing id) verifies ours, and ours verifies
//! OpenSSL's. Runs where `openssl` is installed; `.ci/run` sets
//! `RONGSHU_INTEROP_TESTS=1`, which makes its absence a failure.

use std::path::Path;
use std::process::Command;

use rongshu_crypto::sign::{SigningKeyPair, verify};
use sm2::pkcs8::EncodePrivateKey;

const ORG: &str = "91510100MA61R8XY3K";

fn openssl() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("RONGSHU_INTEROP_TESTS").is_ok_and(|v| v == "1");
    assert!(
        found || !required,
        "RONGSHU_INTEROP_TESTS=1 but openssl is not installed"
    );
    if !found {
        eprintln!("skipped: openssl is not installed");
    }
    found
}

fn run(args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of a 64-byte `r ‖ s`.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        let mut value = if trimmed.first().is_some_and(|&b| b & 0x80 != 0) {
            vec![0]
        } else {
            vec![]
        };
        value.extend(if trimmed.is_empty() { vec![0] } else { trimmed });
        let mut out = vec![0x02, value.len() as u8];
        out.extend(value);
        out
    };
    let mut body = integer(&raw[..32]);
    body.extend(integer(&raw[32..]));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// The 64-byte `r ‖ s` of a DER signature.
fn raw_signature(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30);
    let mut at = 2;
    let mut raw = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[at], 0x02);
        let len = der[at + 1] as usize;
        let value = &der[at + 2..at + 2 + len];
        let value: Vec<u8> = value.iter().copied().skip_while(|&b| b == 0).collect();
        raw.extend(std::iter::repeat_n(0, 32 - value.len()));
        raw.extend(value);
        at += 2 + len;
    }
    raw
}

#[test]
fn openssl_and_rongshu_verify_each_others_sm2_signatures() {
    if !openssl() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rongshu-sm2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let message = b"SM3 digest of an agreement's canonical text";
    std::fs::write(dir.join("msg"), message).unwrap();
    let distid = format!("distid:{ORG}");

    // Ours, verified by OpenSSL.
    let pair = SigningKeyPair::generate(ORG).unwrap();
    let secret = sm2::SecretKey::from_slice(&pair.secret_bytes()).unwrap();
    let pem = secret.to_pkcs8_pem(Default::default()).unwrap();
    std::fs::write(dir.join("ours.pem"), pem.as_bytes()).unwrap();
    let raw = hex::decode(pair.sign(message)).unwrap();
    std::fs::write(dir.join("ours.sig"), der_signature(&raw)).unwrap();
    run(&[
        "pkeyutl",
        "-verify",
        "-rawin",
        "-digest",
        "sm3",
        "-in",
        &path("msg"),
        "-inkey",
        &path("ours.pem"),
        "-sigfile",
        &path("ours.sig"),
        "-pkeyopt",
        &distid,
    ]);

    // OpenSSL's, verified by ours.
    run(&["genpkey", "-algorithm", "SM2", "-out", &path("theirs.pem")]);
    run(&[
        "pkeyutl",
        "-sign",
        "-rawin",
        "-digest",
        "sm3",
        "-in",
        &path("msg"),
        "-inkey",
        &path("theirs.pem"),
        "-out",
        &path("theirs.sig"),
        "-pkeyopt",
        &distid,
    ]);
    let spki = run(&[
        "pkey",
        "-in",
        &path("theirs.pem"),
        "-pubout",
        "-outform",
        "DER",
    ])
    .stdout;
    let public = hex::encode(&spki[spki.len() - 65..]);
    let signature = hex::encode(raw_signature(
        &std::fs::read(dir.join("theirs.sig")).unwrap(),
    ));
    verify(ORG, &public, message, &signature).unwrap();
    assert!(
        verify("another-org", &public, message, &signature).is_err(),
        "the id is bound"
    );
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
