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

/// A real S3 protocol peer: moto's server (`pip install "moto[server]"`),
/// on loopback. CI installs it; elsewhere the test says it did not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_objects_in_an_s3_compatible_store() {
    if std::process::Command::new("moto_server")
        .arg("--help")
        .output()
        .is_err()
    {
        eprintln!("moto_server is not installed; skipping (pip install \"moto[server]\")");
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install moto[server]"
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let made = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::process::Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import boto3; boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='k', \
                 aws_secret_access_key='s', region_name='us-east-1').create_bucket(Bucket='rongshu')"
            ))
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(made, "moto answered and made the bucket");
    let options = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "k"),
        ("aws_secret_access_key", "s"),
        ("aws_allow_http", "true"),
    ];
    let files = DataFiles::from_url("s3://rongshu/platform", options).unwrap();
    let data = plaintext();
    let (key, object) = write(
        &files,
        "versions/9/a.sealed",
        Suite::Sm4Gcm,
        data.clone(),
        true,
    )
    .await;
    assert_eq!(object.unwrap().plaintext_len, data.len() as u64);
    assert_eq!(
        files
            .read_range("versions/9/a.sealed", &key, 1000..2000)
            .await
            .unwrap(),
        &data[1000..2000]
    );
    assert_eq!(
        files.list("versions").await.unwrap(),
        ["versions/9/a.sealed"]
    );
    let (_, abandoned) = write(&files, "versions/9/b.sealed", Suite::Sm4Gcm, data, false).await;
    assert!(abandoned.is_none());
    assert_eq!(
        files.list("versions").await.unwrap().len(),
        1,
        "an abandoned upload is no object"
    );
    files.discard("versions/9/a.sealed").await.unwrap();
    assert!(files.list("versions").await.unwrap().is_empty());
    let _ = server.kill();
    let _ = server.wait();
    assert!(DataFiles::from_url("s3://rongshu", [("aws_colour", "blue")]).is_err());
}
