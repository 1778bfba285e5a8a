//! RSA-2048 keys for HTTP Signatures: generation, PEM import and export (PKCS#8 private,
//! SPKI or PKCS#1 public), and RSASSA-PKCS1-v1_5 SHA-256 signing and verification, on aws-lc-rs.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};

use super::error::{KeyError, SignatureError};
use super::pem;

/// An RSA private key (2048 bits when generated here); cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<RsaKeyPair>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA-{})", self.inner.public_modulus_len() * 8)
    }
}

impl PrivateKey {
    /// Generates a fresh RSA-2048 key from the operating system's random source.
    pub fn generate() -> Result<PrivateKey, KeyError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Ok(PrivateKey { inner: Arc::new(pair) })
    }

    /// Loads a `BEGIN PRIVATE KEY` (PKCS#8) or `BEGIN RSA PRIVATE KEY` (PKCS#1) PEM block.
    pub fn from_pkcs8_pem(text: &str) -> Result<PrivateKey, KeyError> {
        let (label, der) = pem::decode(text)?;
        let pair = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            _ => return Err(KeyError::UnexpectedLabel(label)),
        }
        .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(PrivateKey { inner: Arc::new(pair) })
    }

    /// The key as a PKCS#8 `BEGIN PRIVATE KEY` PEM block, for storage.
    pub fn to_pkcs8_pem(&self) -> String {
        match self.inner.as_der() {
            Ok(der) => pem::encode("PRIVATE KEY", der.as_ref()),
            // aws-lc marshals any key it holds; an empty string makes a later load fail loudly.
            Err(_) => String::new(),
        }
    }

    /// The public half as an SPKI `BEGIN PUBLIC KEY` PEM block, as published in `publicKeyPem`.
    pub fn public_key_pem(&self) -> String {
        match self.inner.public_key().as_der() {
            Ok(der) => pem::encode("PUBLIC KEY", der.as_ref()),
            Err(_) => String::new(),
        }
    }

    /// The public half, ready to verify.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::from_der(self.inner.public_key().as_ref(), MIN_RSA_BITS)
    }

    /// Signs `msg` with RSASSA-PKCS1-v1_5 over SHA-256.
    pub fn sign_rsa_sha256(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0u8; self.inner.public_modulus_len()];
        self.inner
            .sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig)
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }
}

/// Smallest RSA modulus [`PublicKey::from_pem`] accepts, in bits.
const MIN_RSA_BITS: usize = 2048;
/// Smallest RSA modulus any remote key may have, in bits: PeerTube in test mode makes
/// 1024-bit actor keys (its `PRIVATE_RSA_KEY_SIZE`), and Mastodon and PeerTube verify them.
pub const MIN_LEGACY_RSA_BITS: usize = 1024;
/// Largest RSA modulus accepted, in bits (bounds the cost of one verification).
const MAX_RSA_BITS: usize = 8192;

/// An RSA public key (2048 to 8192 bits) parsed once for fast repeated verification.
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<ParsedPublicKey>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(RSA)")
    }
}

impl PublicKey {
    /// Loads a `BEGIN PUBLIC KEY` (SPKI) or `BEGIN RSA PUBLIC KEY` (PKCS#1) PEM block of
    /// 2048 to 8192 bits.
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_pem_min_bits(text, MIN_RSA_BITS)
    }

    /// [`PublicKey::from_pem`] accepting keys from `min_bits` (at least
    /// [`MIN_LEGACY_RSA_BITS`]; a smaller value counts as that) up to 8192 bits.
    pub fn from_pem_min_bits(text: &str, min_bits: usize) -> Result<PublicKey, KeyError> {
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => PublicKey::from_der(&der, min_bits.max(MIN_LEGACY_RSA_BITS)),
            _ => Err(KeyError::UnexpectedLabel(label)),
        }
    }

    /// Loads SPKI or PKCS#1 DER; keys under `min_bits` or over 8192 bits are rejected.
    fn from_der(der: &[u8], min_bits: usize) -> Result<PublicKey, KeyError> {
        let bits =
            aws_lc_rs::rsa::PublicKey::from_der(der).map_err(|e| KeyError::Rejected(e.to_string()))?.modulus_len() * 8;
        if !(min_bits..=MAX_RSA_BITS).contains(&bits) {
            return Err(KeyError::Rejected(format!("RSA-{bits} key, need {min_bits} to {MAX_RSA_BITS} bits")));
        }
        let algorithm = if bits >= 2048 {
            &signature::RSA_PKCS1_2048_8192_SHA256
        } else {
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        };
        Self::from_der_with(algorithm, der)
    }

    fn from_der_with(algorithm: &'static signature::RsaParameters, der: &[u8]) -> Result<PublicKey, KeyError> {
        let parsed = ParsedPublicKey::new(algorithm, der).map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(PublicKey { inner: Arc::new(parsed) })
    }

    /// Test-only: loads a 1024-bit key such as draft-cavage's test key, which production refuses.
    #[cfg(test)]
    pub(crate) fn from_pem_legacy_1024(text: &str) -> Result<PublicKey, KeyError> {
        let (_, der) = pem::decode(text)?;
        Self::from_der_with(&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, &der)
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature of `msg`.
    pub fn verify_rsa_sha256(&self, msg: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        self.inner.verify_sig(msg, sig).map_err(|_| SignatureError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn keys_are_send_sync() {
        assert_send_sync::<PrivateKey>();
        assert_send_sync::<PublicKey>();
    }

    #[test]
    fn generate_export_import_sign_verify() {
        let key = PrivateKey::generate().expect("generate");
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let reloaded = PrivateKey::from_pkcs8_pem(&pem).expect("reload");
        let public_pem = key.public_key_pem();
        assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(public_pem, reloaded.public_key_pem());
        let public = PublicKey::from_pem(&public_pem).expect("public");
        let sig = reloaded.sign_rsa_sha256(b"hello").expect("sign");
        assert_eq!(sig.len(), 256);
        public.verify_rsa_sha256(b"hello", &sig).expect("verify");
        assert_eq!(public.verify_rsa_sha256(b"hellp", &sig), Err(SignatureError::BadSignature));
    }

    #[test]
    fn accepts_pkcs1_public_pem() {
        let key = PrivateKey::generate().expect("generate");
        let pkcs1 = pem::encode("RSA PUBLIC KEY", key.inner.public_key().as_ref());
        let public = PublicKey::from_pem(&pkcs1).expect("pkcs1");
        let sig = key.sign_rsa_sha256(b"x").expect("sign");
        public.verify_rsa_sha256(b"x", &sig).expect("verify");
    }

    #[test]
    fn rejects_small_and_mislabelled_keys() {
        let draft_test_key = "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\nZ4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\noYi+1hqp1fIekaxsyQIDAQAB\n-----END PUBLIC KEY-----\n";
        assert!(matches!(PublicKey::from_pem(draft_test_key), Err(KeyError::Rejected(_))));
        assert!(PublicKey::from_pem_legacy_1024(draft_test_key).is_ok());
        assert!(PublicKey::from_pem_min_bits(draft_test_key, 1024).is_ok(), "PeerTube test-mode keys, when allowed");
        assert!(PublicKey::from_pem_min_bits(draft_test_key, 0).is_ok(), "0 counts as 1024");
        assert!(matches!(PublicKey::from_pem_min_bits(draft_test_key, 2048), Err(KeyError::Rejected(_))));
        let cert = draft_test_key.replace("PUBLIC KEY", "CERTIFICATE");
        assert!(matches!(PublicKey::from_pem(&cert), Err(KeyError::UnexpectedLabel(_))));
    }

    proptest! {
        #[test]
        fn public_pem_parser_never_panics(der in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = PublicKey::from_pem(&pem::encode("PUBLIC KEY", &der));
            let _ = PublicKey::from_pem(&pem::encode("RSA PUBLIC KEY", &der));
        }

        #[test]
        fn private_pem_parser_never_panics(der in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = PrivateKey::from_pkcs8_pem(&pem::encode("PRIVATE KEY", &der));
        }
    }
}
