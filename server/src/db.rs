//! What the server must not forget, in an embedded database under `--data`: credentials and
//! videos it minted, multipart uploads with their parts and counts, objects. Each is a JSON
//! value in a redb table; every change is committed (and so on disk) before the server answers.
//! Part and object bytes stay in files; the database holds their index.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The database's file name inside `--data`; its presence says the folder is vod-local's.
pub const FILE: &str = "vod-local.redb";

pub type Table = TableDefinition<'static, &'static str, &'static [u8]>;
pub const CREDENTIALS: Table = TableDefinition::new("credentials");
pub const VIDEOS: Table = TableDefinition::new("videos");
pub const UPLOADS: Table = TableDefinition::new("uploads");
pub const OBJECTS: Table = TableDefinition::new("objects");

pub struct Db {
    db: Database,
    path: PathBuf,
}

impl Db {
    /// Opens the database in `data`, creating it in a new or empty folder. A folder that holds
    /// other things, or a database that cannot be read, is an error that says what to do.
    pub fn open(data: &Path) -> Result<Db, String> {
        let path = data.join(FILE);
        let foreign = !path.exists()
            && std::fs::read_dir(data)
                .map(|mut entries| entries.next().is_some())
                .unwrap_or(false);
        if foreign {
            return Err(format!(
                "{} is not empty and holds no {FILE}: it is not a vod-local data folder. Choose another --data, or pass --reset to empty it",
                data.display()
            ));
        }
        std::fs::create_dir_all(data)
            .map_err(|e| format!("cannot create {}: {e}", data.display()))?;
        let db = Database::create(&path).map_err(|e| {
            format!(
                "{} cannot be opened ({e}); pass --reset to start from an empty folder",
                path.display()
            )
        })?;
        let db = Db { db, path };
        // Make every table exist, so that reads never meet a missing one.
        db.write(|txn| {
            for table in [CREDENTIALS, VIDEOS, UPLOADS, OBJECTS] {
                txn.open_table(table)?;
            }
            Ok(())
        })?;
        Ok(db)
    }

    fn write(
        &self,
        change: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), String> {
        let fail = |e: redb::Error| format!("{}: {e}", self.path.display());
        let txn = self.db.begin_write().map_err(|e| fail(e.into()))?;
        change(&txn).map_err(fail)?;
        txn.commit().map_err(|e| fail(e.into()))
    }

    /// Stores `value` under `key`, durably.
    pub fn put<T: Serialize>(&self, table: Table, key: &str, value: &T) {
        let json = serde_json::to_vec(value).expect("server state serializes");
        self.write(|txn| {
            txn.open_table(table)?.insert(key, json.as_slice())?;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("vod-local cannot write its database: {e}"));
    }

    pub fn remove(&self, table: Table, key: &str) {
        self.write(|txn| {
            txn.open_table(table)?.remove(key)?;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("vod-local cannot write its database: {e}"));
    }

    /// Every value of a table, with its key.
    pub fn load<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<(String, T)>, String> {
        let corrupt = |e: String| {
            format!(
                "{} is corrupt ({e}); pass --reset to start from an empty folder",
                self.path.display()
            )
        };
        let txn = self.db.begin_read().map_err(|e| corrupt(e.to_string()))?;
        let table = txn.open_table(table).map_err(|e| corrupt(e.to_string()))?;
        let mut all = Vec::new();
        for entry in table.iter().map_err(|e| corrupt(e.to_string()))? {
            let (key, value) = entry.map_err(|e| corrupt(e.to_string()))?;
            let value = serde_json::from_slice(value.value())
                .map_err(|e| corrupt(format!("{}: {e}", key.value())))?;
            all.push((key.value().to_string(), value));
        }
        Ok(all)
    }
}
