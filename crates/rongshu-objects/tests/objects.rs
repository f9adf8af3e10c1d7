//! Sealed objects in a local store: round trips, range reads, tampering,
//! abandoned uploads.

use std::io::Write;
use std::path::Path;

use rongshu_crypto::seal::{DataKey, SealError, Suite};
use rongshu_objects::{DataFiles, ObjectError};

const MARKER: &[u8] = b"510104199003071234";

fn plaintext() -> Vec<u8> {
    let mut data = Vec::new();
    let mut i = 0u32;
    while data.len() < 600_000 {
        data.extend_from_slice(format!("row {i},").as_bytes());
        if i.is_multiple_of(1000) {
            data.extend_from_slice(MARKER);
        }
        i += 1;
    }
    data
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Writes `data` under a fresh key of `suite`, finishing the object or not.
async fn write(
    files: &DataFiles,
    name: &str,
    suite: Suite,
    data: Vec<u8>,
    finish: bool,
) -> (DataKey, Option<rongshu_objects::SealedObject>) {
    let (files, name) = (files.clone(), name.to_owned());
    tokio::task::spawn_blocking(move || {
        let key = DataKey::generate(suite);
        let mut w = files.create(&name, &key).unwrap();
        for piece in data.chunks(10_000) {
            w.write_all(piece).unwrap();
        }
        let object = finish.then(|| w.finish().unwrap());
        (key, object)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_objects_round_trip_by_range_and_leave_no_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let files = DataFiles::local(dir.path()).unwrap();
    let data = plaintext();
    for suite in [Suite::Sm4Gcm, Suite::Aes256Gcm] {
        let name = format!("versions/r1/{}.sealed", suite.as_str());
        let (key, object) = write(&files, &name, suite, data.clone(), true).await;
        let object = object.unwrap();
        assert_eq!(object.plaintext_len, data.len() as u64);
        assert_eq!(
            object.digest,
            rongshu_crypto::sm3_hex_of(&data[..]).unwrap()
        );
        assert_eq!(files.read_all(&name, &key).await.unwrap(), data);
        let range = 131_000..140_000;
        assert_eq!(
            files.read_range(&name, &key, range.clone()).await.unwrap(),
            &data[range.start as usize..range.end as usize]
        );
    }
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(MARKER.len()).any(|w| w == MARKER),
            "plaintext in {file:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_chunk_names_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let files = DataFiles::local(dir.path()).unwrap();
    let (key, _) = write(&files, "v/a.sealed", Suite::Sm4Gcm, plaintext(), true).await;
    let path = dir.path().join("v/a.sealed");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[200_000] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let err = files.read_all("v/a.sealed", &key).await.unwrap_err();
    assert!(
        matches!(
            &err,
            ObjectError::Sealed { object, source: SealError::Tampered { chunk: 3 } } if object == "v/a.sealed"
        ),
        "{err:?}"
    );
    // Ranges in untouched chunks still read.
    assert!(files.read_range("v/a.sealed", &key, 0..1000).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_upload_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files = DataFiles::local(dir.path()).unwrap();
    let (_, object) = write(&files, "v/b.sealed", Suite::Aes256Gcm, plaintext(), false).await;
    assert!(object.is_none());
    assert!(matches!(
        files.layout("v/b.sealed").await,
        Err(ObjectError::Missing(_))
    ));
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());

    // What a killed process leaves (a staged upload) is swept by discard.
    std::fs::create_dir_all(dir.path().join("v")).unwrap();
    std::fs::write(dir.path().join("v/c.sealed#1"), b"partial").unwrap();
    files.discard("v/c.sealed").await.unwrap();
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
    assert!(files.list("v").await.unwrap().is_empty());
}
