//! RSA-2048 and HTTP Signatures throughput on one core: signatures made and verified per
//! second with aws-lc-rs (what Shoal uses), the same with the pure-Rust `rsa` crate as a
//! reference measured in the same run, and whole requests signed (`sign_request`) and
//! checked (`parse_signed_request` + `verify`) per second for a 2 KiB POST in both
//! schemes. `SHOAL_BENCH_SECONDS` (default 3) is the time per figure.

use http::{HeaderMap, Method, Uri};
use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use shoal_protocol::http_signatures::{
    parse_signed_request, sign_request, PrivateKey, PublicKey, Scheme, VerifyPolicy,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `op` repeatedly for `budget` and returns operations per second.
fn rate(budget: Duration, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        op();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let secs: u64 = std::env::var("SHOAL_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let budget = Duration::from_secs(secs.max(1));
    let key = PrivateKey::generate().expect("RSA-2048 key generation");
    let public = key.public_key().expect("public half");
    let message = vec![0x5au8; 256];
    let signature = key.sign_rsa_sha256(&message).expect("sign");

    println!("RSA-2048 PKCS#1 v1.5 SHA-256, one thread, {secs} s per figure");
    let aws_sign = rate(budget, || {
        black_box(key.sign_rsa_sha256(black_box(&message)).expect("sign"));
    });
    let aws_verify = rate(budget, || {
        public.verify_rsa_sha256(black_box(&message), black_box(&signature)).expect("verify");
    });

    // The same key in the reference implementation.
    let reference = rsa::RsaPrivateKey::from_pkcs8_pem(&key.to_pkcs8_pem()).expect("the rsa crate reads the key");
    let ref_signer = SigningKey::<sha2::Sha256>::new(reference.clone());
    let ref_verifier = VerifyingKey::<sha2::Sha256>::new(reference.to_public_key());
    let ref_signature = ref_signer.sign(&message);
    assert_eq!(ref_signature.to_vec(), signature, "both implementations make the same signature");
    let ref_sign = rate(budget, || {
        black_box(ref_signer.sign(black_box(&message)));
    });
    let ref_verify = rate(budget, || {
        ref_verifier.verify(black_box(&message), black_box(&ref_signature)).expect("verify");
    });
    println!("{:<28} {:>12} {:>12} {:>8}", "", "aws-lc-rs", "rsa crate", "ratio");
    println!("{:<28} {:>12.0} {:>12.0} {:>7.1}x", "signatures per second", aws_sign, ref_sign, aws_sign / ref_sign);
    println!(
        "{:<28} {:>12.0} {:>12.0} {:>7.1}x",
        "verifications per second",
        aws_verify,
        ref_verify,
        aws_verify / ref_verify
    );

    // Whole requests: a 2 KiB inbox POST.
    let body = vec![b'x'; 2048];
    let uri: Uri = "https://remote.example/inbox".parse().expect("uri");
    let key_id = "https://shoal.example/accounts/root#main-key";
    let policy = VerifyPolicy::default();
    let now = 1_800_000_000;
    println!("\n2 KiB POST, one thread            signed/s   checked/s");
    for (name, scheme) in [("draft-cavage rsa-sha256", Scheme::Cavage), ("RFC 9421 rsa-v1_5-sha256", Scheme::Rfc9421)] {
        let signed = rate(budget, || {
            let mut headers = HeaderMap::new();
            sign_request(scheme, &Method::POST, &uri, &mut headers, Some(&body), key_id, &key, now).expect("sign");
            black_box(headers);
        });
        let mut headers = HeaderMap::new();
        sign_request(scheme, &Method::POST, &uri, &mut headers, Some(&body), key_id, &key, now).expect("sign");
        let checked = rate(budget, || {
            let request = parse_signed_request(&Method::POST, &uri, "remote.example", &headers).expect("parse");
            let verifying = PublicKey::from_pem(&key.public_key_pem()).expect("pem");
            request.verify(&verifying, Some(&body), now, &policy).expect("verify");
        });
        println!("{name:<30} {signed:>10.0} {checked:>11.0}");
    }
}
