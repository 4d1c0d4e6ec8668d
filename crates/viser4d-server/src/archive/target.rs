//! Where an archive's files go and come from: a local folder, or (with the
//! `object-store` feature) any `object_store` URL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Result, ServerError};

/// Where an archive is written or read: a local folder (a path, or a
/// `file://` URL), or an object-store prefix (`s3://bucket/prefix`,
/// `gs://…`, `az://…`, with the `object-store` feature; credentials and
/// endpoints from the usual `AWS_*`, `GOOGLE_*` and `AZURE_*` environment
/// variables, overridden by [`ArchiveTarget::with_options`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveTarget {
    /// A local folder.
    Folder(PathBuf),
    /// An object-store URL.
    Url(String),
    /// An object-store URL with settings of its store (`object_store`'s
    /// configuration keys, such as `aws_endpoint`, `aws_allow_http`,
    /// `aws_access_key_id`, `google_service_account`,
    /// `azure_storage_account_name`), applied over the environment's.
    UrlWithOptions(String, Vec<(String, String)>),
}

impl ArchiveTarget {
    /// `s3://…` and other URLs are object stores, `file://…` and anything
    /// else a local path.
    pub fn parse(target: &str) -> ArchiveTarget {
        if let Some(path) = target.strip_prefix("file://") {
            return ArchiveTarget::Folder(PathBuf::from(path));
        }
        match target.split_once("://") {
            Some((scheme, _))
                if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                ArchiveTarget::Url(target.to_owned())
            }
            _ => ArchiveTarget::Folder(PathBuf::from(target)),
        }
    }

    /// This object-store URL with settings for its store (a folder stays
    /// a folder: it has none).
    pub fn with_options<K: Into<String>, V: Into<String>>(
        self,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> ArchiveTarget {
        let mut options: Vec<(String, String)> = options
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        match self {
            ArchiveTarget::Folder(dir) => ArchiveTarget::Folder(dir),
            ArchiveTarget::Url(url) => ArchiveTarget::UrlWithOptions(url, options),
            ArchiveTarget::UrlWithOptions(url, mut before) => {
                before.append(&mut options);
                ArchiveTarget::UrlWithOptions(url, before)
            }
        }
    }

    pub(crate) fn open(&self) -> Result<Box<dyn Store>> {
        match self {
            ArchiveTarget::Folder(dir) => Ok(Box::new(Folder { dir: dir.clone() })),
            ArchiveTarget::Url(url) => open_url(url, &[]),
            ArchiveTarget::UrlWithOptions(url, options) => open_url(url, options),
        }
    }
}

impl std::fmt::Display for ArchiveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveTarget::Folder(dir) => write!(f, "{}", dir.display()),
            ArchiveTarget::Url(url) | ArchiveTarget::UrlWithOptions(url, _) => f.write_str(url),
        }
    }
}

impl From<&str> for ArchiveTarget {
    fn from(target: &str) -> ArchiveTarget {
        ArchiveTarget::parse(target)
    }
}

impl From<String> for ArchiveTarget {
    fn from(target: String) -> ArchiveTarget {
        ArchiveTarget::parse(&target)
    }
}

impl From<&Path> for ArchiveTarget {
    fn from(dir: &Path) -> ArchiveTarget {
        ArchiveTarget::Folder(dir.to_owned())
    }
}

impl From<PathBuf> for ArchiveTarget {
    fn from(dir: PathBuf) -> ArchiveTarget {
        ArchiveTarget::Folder(dir)
    }
}

impl From<&PathBuf> for ArchiveTarget {
    fn from(dir: &PathBuf) -> ArchiveTarget {
        ArchiveTarget::Folder(dir.clone())
    }
}

/// The files of an archive, by name relative to its root (`/`-separated).
/// Called from several threads at once.
pub(crate) trait Store: Send + Sync {
    /// The files there now, with their sizes.
    fn list(&self) -> Result<HashMap<String, u64>>;
    /// Writes `name` whole: a reader never sees part of it.
    fn put(&self, name: &str, bytes: Bytes) -> Result<()>;
    /// Reads `name` whole.
    fn get(&self, name: &str) -> Result<Bytes>;
    /// Reads `name`, refusing a file larger than `max` bytes before
    /// reading it (a manifest's size bounds what is read).
    fn get_at_most(&self, name: &str, max: u64) -> Result<Bytes>;
}

pub(crate) fn archive_error(
    target: impl std::fmt::Display,
    reason: impl std::fmt::Display,
) -> ServerError {
    ServerError::Archive {
        target: target.to_string(),
        reason: reason.to_string(),
    }
}

struct Folder {
    dir: PathBuf,
}

impl Store for Folder {
    fn list(&self) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        let mut pending = vec![(self.dir.clone(), String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(archive_error(dir.display(), e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| archive_error(dir.display(), e))?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                let meta = entry
                    .metadata()
                    .map_err(|e| archive_error(entry.path().display(), e))?;
                let full = format!("{prefix}{name}");
                if meta.is_dir() && prefix.is_empty() {
                    pending.push((entry.path(), format!("{full}/")));
                } else if meta.is_file() {
                    out.insert(full, meta.len());
                }
            }
        }
        Ok(out)
    }

    fn put(&self, name: &str, bytes: Bytes) -> Result<()> {
        use std::io::Write as _;
        let path = self.dir.join(name);
        let failed = |source: std::io::Error| ServerError::Write {
            path: path.clone(),
            source,
        };
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir).map_err(failed)?;
        let mut file = tempfile::Builder::new()
            .prefix(".viser4d-write-")
            .tempfile_in(dir)
            .map_err(failed)?;
        file.write_all(&bytes).map_err(failed)?;
        file.persist(&path).map_err(|e| failed(e.error))?;
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Bytes> {
        let path = self.dir.join(name);
        std::fs::read(&path)
            .map(Bytes::from)
            .map_err(|e| archive_error(path.display(), e))
    }

    fn get_at_most(&self, name: &str, max: u64) -> Result<Bytes> {
        let path = self.dir.join(name);
        let len = std::fs::metadata(&path)
            .map_err(|e| archive_error(path.display(), e))?
            .len();
        if len > max {
            return Err(too_large(path.display(), len, max));
        }
        self.get(name)
    }
}

fn too_large(file: impl std::fmt::Display, len: u64, max: u64) -> ServerError {
    archive_error(
        file,
        format!("it has {len} bytes, the manifest says {max}: damaged or replaced"),
    )
}

#[cfg(not(feature = "object-store"))]
fn open_url(url: &str, _options: &[(String, String)]) -> Result<Box<dyn Store>> {
    Err(archive_error(
        url,
        "object-store URLs need the `object-store` feature of viser4d (or viser4d-server); a local folder works without it",
    ))
}

#[cfg(feature = "object-store")]
fn open_url(url: &str, options: &[(String, String)]) -> Result<Box<dyn Store>> {
    Ok(Box::new(cloud::Cloud::open(url, options)?))
}

#[cfg(feature = "object-store")]
mod cloud {
    use super::*;
    use futures_util::TryStreamExt as _;
    use object_store::path::Path as ObjectPath;
    use object_store::{ObjectStore, PutPayload};

    /// An `object_store` prefix. Its calls are async; each runs to its end
    /// on a small runtime of its own, driven from a short-lived thread, so
    /// they are plain blocking calls for any caller (a writer thread, or a
    /// program's own async task, where blocking on a runtime directly
    /// would panic).
    pub(super) struct Cloud {
        url: String,
        store: Box<dyn ObjectStore>,
        prefix: ObjectPath,
        runtime: Option<tokio::runtime::Runtime>,
    }

    impl Drop for Cloud {
        fn drop(&mut self) {
            // Dropping a runtime blocks, which panics inside async code.
            if let Some(runtime) = self.runtime.take() {
                runtime.shutdown_background();
            }
        }
    }

    impl Cloud {
        pub(super) fn open(url: &str, options: &[(String, String)]) -> Result<Cloud> {
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            // `with_url` takes the bucket from the URL; the rest is the prefix.
            let path = rest.split_once('/').map_or("", |(_, path)| path);
            let failed = |e: object_store::Error| archive_error(url, e);
            // Each store has its own keys; one it does not know is an error
            // (a typo would otherwise be ignored silently).
            fn keys<K: std::str::FromStr<Err = object_store::Error>>(
                options: &[(String, String)],
            ) -> std::result::Result<Vec<(K, String)>, object_store::Error> {
                options
                    .iter()
                    .map(|(k, v)| Ok((k.parse::<K>()?, v.clone())))
                    .collect()
            }
            let store: Box<dyn ObjectStore> = match scheme {
                "s3" | "s3a" => {
                    let mut b = object_store::aws::AmazonS3Builder::from_env().with_url(url);
                    for (k, v) in keys(options).map_err(failed)? {
                        b = b.with_config(k, v);
                    }
                    Box::new(b.build().map_err(failed)?)
                }
                "gs" => {
                    let mut b =
                        object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url);
                    for (k, v) in keys(options).map_err(failed)? {
                        b = b.with_config(k, v);
                    }
                    Box::new(b.build().map_err(failed)?)
                }
                "az" | "azure" | "abfs" | "abfss" => {
                    let mut b =
                        object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url);
                    for (k, v) in keys(options).map_err(failed)? {
                        b = b.with_config(k, v);
                    }
                    Box::new(b.build().map_err(failed)?)
                }
                other => {
                    return Err(archive_error(
                        url,
                        format!(
                            "{other}:// is not an archive target (use a folder, file://, s3://, gs:// or az://)"
                        ),
                    ));
                }
            };
            let prefix = ObjectPath::from(path.trim_matches('/'));
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("viser4d-archive")
                .enable_all()
                .build()
                .map_err(|e| archive_error(url, e))?;
            Ok(Cloud {
                url: url.to_owned(),
                store,
                prefix,
                runtime: Some(runtime),
            })
        }

        fn path(&self, name: &str) -> ObjectPath {
            name.split('/')
                .fold(self.prefix.clone(), |p, part| p.child(part))
        }

        /// Runs `f` to its end on this store's runtime.
        fn run<T: Send>(
            &self,
            f: impl std::future::Future<Output = Result<T>> + Send,
        ) -> Result<T> {
            let Some(runtime) = self.runtime.as_ref() else {
                return Err(archive_error(&self.url, "the store is closed"));
            };
            std::thread::scope(|scope| {
                scope
                    .spawn(|| runtime.block_on(f))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        }
    }

    impl Store for Cloud {
        fn list(&self) -> Result<HashMap<String, u64>> {
            let prefix = self.prefix.clone();
            let strip = format!("{}/", self.prefix.as_ref());
            self.run(async {
                let listed: Vec<_> = self
                    .store
                    .list(Some(&prefix))
                    .try_collect()
                    .await
                    .map_err(|e| archive_error(&self.url, e))?;
                Ok(listed
                    .into_iter()
                    .map(|meta| {
                        let name = meta.location.as_ref();
                        let name = name.strip_prefix(strip.as_str()).unwrap_or(name);
                        (name.to_owned(), meta.size)
                    })
                    .collect())
            })
        }

        fn put(&self, name: &str, bytes: Bytes) -> Result<()> {
            let path = self.path(name);
            self.run(async {
                self.store
                    .put(&path, PutPayload::from_bytes(bytes))
                    .await
                    .map(|_| ())
                    .map_err(|e| archive_error(format!("{}/{name}", self.url), e))
            })
        }

        fn get(&self, name: &str) -> Result<Bytes> {
            let path = self.path(name);
            let failed = |e: object_store::Error| archive_error(format!("{}/{name}", self.url), e);
            self.run(async {
                self.store
                    .get(&path)
                    .await
                    .map_err(failed)?
                    .bytes()
                    .await
                    .map_err(failed)
            })
        }

        fn get_at_most(&self, name: &str, max: u64) -> Result<Bytes> {
            let path = self.path(name);
            let failed = |e: object_store::Error| archive_error(format!("{}/{name}", self.url), e);
            let size = self
                .run(async { self.store.head(&path).await.map_err(failed) })?
                .size;
            if size > max {
                return Err(too_large(format!("{}/{name}", self.url), size, max));
            }
            self.get(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_folders_unless_they_are_urls() {
        assert_eq!(
            ArchiveTarget::parse("out/rec"),
            ArchiveTarget::Folder("out/rec".into())
        );
        assert_eq!(
            ArchiveTarget::parse("file:///tmp/rec"),
            ArchiveTarget::Folder("/tmp/rec".into())
        );
        assert_eq!(
            ArchiveTarget::parse("s3://bucket/rec"),
            ArchiveTarget::Url("s3://bucket/rec".into())
        );
        assert_eq!(
            ArchiveTarget::parse("C:\\x"),
            ArchiveTarget::Folder("C:\\x".into())
        );
    }

    #[test]
    fn a_folder_store_writes_whole_files_and_lists_them() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = ArchiveTarget::Folder(dir.path().join("a"))
            .open()
            .expect("open");
        assert!(store.list().expect("empty").is_empty());
        store.put("x.json", Bytes::from_static(b"{}")).expect("put");
        store
            .put("blocks/b.block", Bytes::from_static(b"123"))
            .expect("put");
        let listed = store.list().expect("list");
        assert_eq!(listed.get("x.json"), Some(&2));
        assert_eq!(listed.get("blocks/b.block"), Some(&3));
        assert_eq!(listed.len(), 2, "no temporary files left: {listed:?}");
        assert_eq!(&store.get("blocks/b.block").expect("get")[..], b"123");
        assert!(store.get("nope").is_err());
    }
}
