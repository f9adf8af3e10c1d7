//! The storage suite: every test runs on SQLite, and also on PostgreSQL
//! when `RONGSHU_TEST_POSTGRES_URL` is set.

use rongshu_domain::{PartyType, Role};
use rongshu_ledger::{Break, EntryDraft, Outcome, Segment};
use rongshu_store::testing::{TestDatabase, on_every_backend};
use rongshu_store::{
    LedgerFilter, NewAccount, NewOrganization, ObjectFilter, SessionKind, Store, StoreError,
};
use sqlx::Executor;

fn draft(action: &str) -> EntryDraft {
    EntryDraft {
        actor_username: Some("tester".into()),
        ..EntryDraft::new(1_790_000_000_000, action, "test")
    }
}

async fn seed_account(store: &Store, username: &str) -> (i64, i64) {
    let mut tx = store.begin().await.unwrap();
    let org = tx
        .insert_organization(
            &NewOrganization {
                code: format!("org-{username}"),
                name: "市交通运输局".into(),
                party: PartyType::Provider,
            },
            1,
        )
        .await
        .unwrap();
    let account = tx
        .insert_account(
            &NewAccount {
                org_id: org.id,
                username: username.into(),
                display_name: "张三".into(),
                role: Role::Staff,
                password_hash: "$argon2id$stub".into(),
            },
            2,
        )
        .await
        .unwrap();
    tx.append(draft("account.create")).await.unwrap();
    tx.commit().await.unwrap();
    (org.id, account.id)
}

#[tokio::test]
async fn organizations_and_accounts() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let (org_id, account_id) = seed_account(store, "zhangsan").await;
        let account = store.account(account_id).await.unwrap();
        assert_eq!(account.org_id, org_id);
        assert_eq!(account.party, PartyType::Provider);
        assert_eq!(account.org_name, "市交通运输局");
        assert_eq!(account.role, Role::Staff);
        assert!(!account.disabled);
        assert_eq!(
            store
                .credentials("zhangsan")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$stub"
        );
        assert!(store.account_by_username("lisi").await.unwrap().is_none());
        assert_eq!(store.organizations().await.unwrap().len(), 1);
        assert_eq!(
            store
                .organization_by_code("org-zhangsan")
                .await
                .unwrap()
                .unwrap()
                .id,
            org_id
        );
        assert_eq!(store.accounts(Some(org_id)).await.unwrap().len(), 1);
        assert!(store.accounts(Some(org_id + 100)).await.unwrap().is_empty());

        let mut tx = store.begin().await.unwrap();
        let dup = tx
            .insert_organization(
                &NewOrganization {
                    code: "org-zhangsan".into(),
                    name: "x".into(),
                    party: PartyType::User,
                },
                3,
            )
            .await;
        assert!(
            matches!(
                dup,
                Err(StoreError::Duplicate {
                    what: "organization code",
                    ..
                })
            ),
            "{dup:?}"
        );
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        let new = NewAccount {
            org_id,
            username: "zhangsan".into(),
            display_name: "x".into(),
            role: Role::Admin,
            password_hash: "h".into(),
        };
        let dup = tx.insert_account(&new, 3).await;
        assert!(
            matches!(
                dup,
                Err(StoreError::Duplicate {
                    what: "user name",
                    ..
                })
            ),
            "{dup:?}"
        );
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        let orphan = NewAccount {
            org_id: 9999,
            username: "orphan".into(),
            ..new
        };
        let missing = tx.insert_account(&orphan, 3).await;
        assert!(
            matches!(
                missing,
                Err(StoreError::NotFound {
                    what: "organization",
                    ..
                })
            ),
            "{missing:?}"
        );
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        tx.set_login_failures(account_id, 3, Some(99))
            .await
            .unwrap();
        tx.set_disabled(account_id, true).await.unwrap();
        tx.append(draft("account.disable")).await.unwrap();
        tx.commit().await.unwrap();
        let account = store.account(account_id).await.unwrap();
        assert_eq!(
            (
                account.failed_logins,
                account.locked_until_ms,
                account.disabled
            ),
            (3, Some(99), true)
        );

        let mut tx = store.begin().await.unwrap();
        tx.set_password(account_id, "new-hash").await.unwrap();
        assert!(matches!(
            tx.set_password(424242, "x").await,
            Err(StoreError::NotFound { .. })
        ));
        tx.commit().await.unwrap();
        let account = store.account(account_id).await.unwrap();
        assert_eq!(
            (account.failed_logins, account.locked_until_ms),
            (0, None),
            "a reset clears the lock"
        );
        assert_eq!(store.password_hash(account_id).await.unwrap(), "new-hash");
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_revoke_and_follow_the_account() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let (_, account_id) = seed_account(store, "wangwu").await;
        let mut tx = store.begin().await.unwrap();
        let sid = tx
            .insert_session(
                account_id,
                SessionKind::Console,
                "hash-1",
                "csrf-1",
                100,
                200,
            )
            .await
            .unwrap();
        tx.insert_session(account_id, SessionKind::Api, "hash-2", "csrf-2", 100, 200)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let live = store
            .session("hash-1", 150)
            .await
            .unwrap()
            .expect("live session");
        assert_eq!(
            (live.session_id, live.kind, live.csrf_token.as_str()),
            (sid, SessionKind::Console, "csrf-1")
        );
        assert_eq!(live.account.username, "wangwu");
        assert!(
            store.session("hash-1", 200).await.unwrap().is_none(),
            "expired at expires_at"
        );
        assert!(store.session("nope", 150).await.unwrap().is_none());

        let mut tx = store.begin().await.unwrap();
        tx.revoke_session(sid, 160).await.unwrap();
        assert!(
            matches!(
                tx.revoke_session(sid, 161).await,
                Err(StoreError::NotFound { .. })
            ),
            "revoked once"
        );
        tx.commit().await.unwrap();
        assert!(store.session("hash-1", 170).await.unwrap().is_none());
        assert!(store.session("hash-2", 170).await.unwrap().is_some());

        let mut tx = store.begin().await.unwrap();
        assert!(!tx.session_is_live(sid, 170).await.unwrap(), "revoked");
        let api = store.session("hash-2", 170).await.unwrap().unwrap();
        assert!(tx.session_is_live(api.session_id, 170).await.unwrap());
        assert!(
            !tx.session_is_live(api.session_id, 200).await.unwrap(),
            "expired"
        );
        tx.set_disabled(account_id, true).await.unwrap();
        assert!(
            !tx.session_is_live(api.session_id, 170).await.unwrap(),
            "disabled"
        );
        tx.commit().await.unwrap();
        assert!(
            store.session("hash-2", 170).await.unwrap().is_none(),
            "disabled accounts have no sessions"
        );

        let mut tx = store.begin().await.unwrap();
        tx.set_disabled(account_id, false).await.unwrap();
        assert_eq!(tx.revoke_sessions_of(account_id, 180).await.unwrap(), 1);
        tx.commit().await.unwrap();
        assert!(store.session("hash-2", 181).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn api_keys_are_found_by_hash_until_revoked_or_expired() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let (_, owner) = seed_account(store, "owner").await;
        let (_, other) = seed_account(store, "other").await;
        let mut tx = store.begin().await.unwrap();
        let key = tx
            .insert_api_key(
                &rongshu_store::NewApiKey {
                    account_id: owner,
                    name: "etl",
                    display_prefix: "rsk_0123abcd",
                    key_hash: "key-hash",
                    expires_at_ms: 1000,
                    front: false,
                },
                100,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            (key.name.as_str(), key.expires_at_ms, key.revoked_at_ms),
            ("etl", 1000, None)
        );

        let by_hash = async || store.api_key_by_hash("key-hash").await.unwrap();
        let (found, account) = by_hash().await.unwrap();
        assert_eq!((found.id, account.id), (key.id, owner));
        assert!(store.api_key_by_hash("other-hash").await.unwrap().is_none());

        let mut tx = store.begin().await.unwrap();
        let theft = tx.revoke_api_key(other, key.id, 600).await;
        assert!(
            matches!(
                theft,
                Err(StoreError::NotFound {
                    what: "api key",
                    ..
                })
            ),
            "not someone else's key"
        );
        assert!(tx.revoke_api_key(owner, key.id, 600).await.unwrap());
        assert!(!tx.revoke_api_key(owner, key.id, 700).await.unwrap());
        tx.commit().await.unwrap();
        let (revoked, _) = by_hash().await.unwrap();
        assert_eq!(
            revoked.revoked_at_ms,
            Some(600),
            "found, to say why it is refused; revoked since the first time"
        );
        assert_eq!(
            store.api_keys(owner).await.unwrap()[0].revoked_at_ms,
            Some(600)
        );
        assert!(store.api_keys(other).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn ledger_commits_with_the_change_or_not_at_all() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let mut tx = store.begin().await.unwrap();
        let e = tx.append(draft("first")).await.unwrap();
        assert_eq!(e.seq, 1);
        drop(tx);
        assert_eq!(
            store.ledger_head().await.unwrap().seq,
            0,
            "rolled back with the transaction"
        );
        assert!(
            store
                .ledger_entries(&LedgerFilter::default(), 10)
                .await
                .unwrap()
                .is_empty()
        );

        let mut tx = store.begin().await.unwrap();
        tx.append(draft("first")).await.unwrap();
        tx.append(draft("second")).await.unwrap();
        assert_eq!(tx.commit().await.unwrap(), 2);
        let head = store.ledger_head().await.unwrap();
        assert_eq!(head.seq, 2);
        let listed = store
            .ledger_entries(&LedgerFilter::default(), 10)
            .await
            .unwrap();
        assert_eq!(
            listed.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 1],
            "newest first"
        );
        assert_eq!(listed[0].hash, head.hash);
        let report = store.verify_ledger().await.unwrap();
        assert_eq!((report.checked, report.result), (2, Ok(())));
    })
    .await;
}

#[tokio::test]
async fn ledger_filters() {
    on_every_backend(|db| async move {
        let store = &db.store;
        let mut tx = store.begin().await.unwrap();
        for i in 0..6i64 {
            let mut d = draft(if i % 2 == 0 { "even" } else { "odd" });
            d.at_ms = 1000 + i;
            d.org_id = Some(i % 3);
            d.object_id = Some(format!("obj-{i}"));
            d.segment = Some(Segment::Operator);
            d.outcome = if i == 5 {
                Outcome::Denied
            } else {
                Outcome::Success
            };
            tx.append(d).await.unwrap();
        }
        tx.commit().await.unwrap();
        let seqs = |f: LedgerFilter| async move {
            store
                .ledger_entries(&f, 100)
                .await
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            seqs(LedgerFilter {
                action: Some("odd".into()),
                ..Default::default()
            })
            .await,
            [6, 4, 2]
        );
        assert_eq!(
            seqs(LedgerFilter {
                org_id: Some(0),
                ..Default::default()
            })
            .await,
            [4, 1]
        );
        assert_eq!(
            seqs(LedgerFilter {
                since_ms: Some(1002),
                until_ms: Some(1004),
                ..Default::default()
            })
            .await,
            [4, 3]
        );
        assert_eq!(
            seqs(LedgerFilter {
                object: Some(ObjectFilter {
                    object_type: "test".into(),
                    object_id: Some("obj-5".into()),
                }),
                ..Default::default()
            })
            .await,
            [6]
        );
        assert_eq!(
            seqs(LedgerFilter {
                before_seq: Some(3),
                ..Default::default()
            })
            .await,
            [2, 1]
        );
        assert!(
            seqs(LedgerFilter {
                actor_username: Some("nobody".into()),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        let after = store.ledger_after(4, 10).await.unwrap();
        assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6]);
        assert_eq!(after[1].draft.outcome, Outcome::Denied);
    })
    .await;
}

/// Every field the ledger is searched by has an index serving it, so an
/// audit of a year of data calls reads what it shows, not the whole chain.
#[tokio::test]
async fn ledger_searches_are_served_by_indexes() {
    on_every_backend(|db| async move {
        let text = |v: &str| Some(v.to_owned());
        let searches = [
            (
                "ledger_entries_actor",
                LedgerFilter {
                    actor_username: text("zhangsan"),
                    ..Default::default()
                },
            ),
            (
                "ledger_entries_org",
                LedgerFilter {
                    org_id: Some(7),
                    ..Default::default()
                },
            ),
            (
                "ledger_entries_action",
                LedgerFilter {
                    action: text("product.call"),
                    ..Default::default()
                },
            ),
            (
                "ledger_entries_object",
                LedgerFilter {
                    object: Some(ObjectFilter {
                        object_type: "product".into(),
                        object_id: text("12"),
                    }),
                    ..Default::default()
                },
            ),
            (
                "ledger_entries_at",
                LedgerFilter {
                    since_ms: Some(1_790_000_000_000),
                    until_ms: Some(1_790_086_400_000),
                    ..Default::default()
                },
            ),
        ];
        for (index, filter) in searches {
            let plan = db.ledger_search_plan(&filter).await;
            assert!(
                plan.contains(index),
                "{filter:?} is not served by {index}: {plan}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn concurrent_appends_form_one_unbroken_chain() {
    on_every_backend(|db| async move {
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    store.append(draft(&format!("task{t}.{i}"))).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let report = db.store.verify_ledger().await.unwrap();
        assert_eq!(
            (report.head.seq, report.checked, report.result),
            (80, 80, Ok(()))
        );
    })
    .await;
}

#[tokio::test]
async fn a_batch_of_entries_chains_like_single_appends() {
    on_every_backend(|db| async move {
        db.store.append(draft("before")).await.unwrap();
        let mut tx = db.store.begin().await.unwrap();
        let drafts = (0..600).map(|i| draft(&format!("batch.{i}"))).collect();
        let entries = tx.append_all(drafts).await.unwrap();
        assert_eq!(tx.commit().await.unwrap(), 600);
        assert_eq!((entries[0].seq, entries[599].seq), (2, 601));
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        db.store.append(draft("after")).await.unwrap();
        let report = db.store.verify_ledger().await.unwrap();
        assert_eq!(
            (report.head.seq, report.checked, report.result),
            (602, 602, Ok(()))
        );
        let mut tx = db.store.begin().await.unwrap();
        assert!(tx.append_all(Vec::new()).await.unwrap().is_empty());
    })
    .await;
}

async fn five_entries(db: &TestDatabase) {
    for i in 1..=5 {
        db.store.append(draft(&format!("step{i}"))).await.unwrap();
    }
    assert_eq!(db.store.verify_ledger().await.unwrap().result, Ok(()));
}

#[tokio::test]
async fn entries_cannot_be_changed_through_sql() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let update = pool
            .execute("UPDATE ledger_entries SET reason = 'x' WHERE seq = 2")
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = pool
            .execute("DELETE FROM ledger_entries WHERE seq = 2")
            .await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn verify_names_an_altered_entry() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        db.tamper_as_administrator(&[
            "UPDATE ledger_entries SET action = 'innocent' WHERE seq = 3",
        ])
        .await;
        let report = db.store.verify_ledger().await.unwrap();
        assert_eq!(
            (report.checked, report.result),
            (2, Err(Break::Altered { seq: 3 }))
        );
    })
    .await;
}

#[tokio::test]
async fn verify_names_a_deleted_entry() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        db.tamper_as_administrator(&["DELETE FROM ledger_entries WHERE seq = 2"])
            .await;
        let result = db.store.verify_ledger().await.unwrap().result;
        assert_eq!(
            result,
            Err(Break::Missing {
                expected: 2,
                found: 3
            })
        );
        assert_eq!(result.unwrap_err().seq(), 2);
    })
    .await;
}

#[tokio::test]
async fn verify_catches_a_deleted_last_entry() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        db.tamper_as_administrator(&["DELETE FROM ledger_entries WHERE seq = 5"])
            .await;
        let result = db.store.verify_ledger().await.unwrap().result;
        assert_eq!(result, Err(Break::Truncated { last: 4, head: 5 }));
    })
    .await;
}

#[tokio::test]
async fn verify_names_swapped_entries() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        // Swap the rows at 2 and 4 wholesale, hashes included: move 2 aside,
        // renumber 4 as 2, then the old 2 as 4.
        db.tamper_as_administrator(&[
            "UPDATE ledger_entries SET seq = 1002 WHERE seq = 2",
            "UPDATE ledger_entries SET seq = 2 WHERE seq = 4",
            "UPDATE ledger_entries SET seq = 4 WHERE seq = 1002",
        ])
        .await;
        let result = db.store.verify_ledger().await.unwrap().result;
        assert_eq!(result.unwrap_err().seq(), 2);
    })
    .await;
}

#[tokio::test]
async fn verify_reports_undecodable_rows_as_altered() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        db.tamper_as_administrator(&[
            "UPDATE ledger_entries SET outcome = 'forgotten' WHERE seq = 4",
        ])
        .await;
        assert_eq!(
            db.store.verify_ledger().await.unwrap().result,
            Err(Break::Altered { seq: 4 })
        );
    })
    .await;
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    on_every_backend(|db| async move {
        db.store.migrate().await.unwrap();
        db.store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn archiving_removes_a_prefix_and_verification_starts_after_it() {
    on_every_backend(|db| async move {
        let store = &db.store;
        for i in 1..=6 {
            let mut d = draft(&format!("step{i}"));
            d.at_ms = i * 1000;
            store.append(d).await.unwrap();
        }
        assert_eq!(store.archivable_through(3500).await.unwrap(), Some(3));
        assert_eq!(store.archivable_through(500).await.unwrap(), None);
        let third = store.ledger_after(2, 1).await.unwrap()[0].hash;

        let mut tx = store.begin().await.unwrap();
        let anchor = tx.archive(0, 3, draft("ignored")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((anchor.seq, anchor.hash), (3, third));
        assert_eq!(store.ledger_anchor().await.unwrap(), anchor);
        let left: Vec<_> = store.ledger_after(0, 100).await.unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5, 6, 7]);
        assert_eq!(left[3].draft.action, rongshu_store::ARCHIVE_ACTION);
        let report = store.verify_ledger().await.unwrap();
        assert_eq!((report.checked, report.result), (4, Ok(())));
        assert_eq!(
            store.archivable_through(3500).await.unwrap(),
            None,
            "already archived"
        );

        let mut tx = store.begin().await.unwrap();
        let stale = tx.archive(0, 5, draft("again")).await;
        assert!(
            matches!(
                stale,
                Err(StoreError::ArchiveMoved {
                    expected: 0,
                    found: 3
                })
            ),
            "{stale:?}"
        );
        drop(tx);

        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let delete = pool
            .execute("DELETE FROM ledger_entries WHERE seq = 4")
            .await;
        assert!(
            delete.unwrap_err().to_string().contains("append-only"),
            "unarchived entries stay protected"
        );
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_forged_anchor_is_caught() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        let second = db.store.ledger_after(1, 1).await.unwrap()[0].hash.to_hex();
        // Moving the anchor lets the triggers allow deleting the start of
        // the chain; the chain's own record of archives says otherwise.
        let forge = format!("UPDATE ledger_anchor SET seq = 2, hash = '{second}' WHERE id = 1");
        db.tamper_as_administrator(&[&forge, "DELETE FROM ledger_entries WHERE seq <= 2"])
            .await;
        let result = db.store.verify_ledger().await.unwrap().result;
        assert_eq!(result, Err(Break::AnchorMoved { seq: 2 }));
    })
    .await;
}

#[tokio::test]
async fn verification_reads_one_snapshot_while_entries_are_appended() {
    on_every_backend(|db| async move {
        five_entries(&db).await;
        let writer = {
            let store = db.store.clone();
            tokio::spawn(async move {
                for i in 0..150 {
                    store.append(draft(&format!("busy{i}"))).await.unwrap();
                }
            })
        };
        let mut runs = 0;
        while !writer.is_finished() || runs == 0 {
            let report = db.store.verify_ledger().await.unwrap();
            assert_eq!(report.result, Ok(()), "a live ledger is not a broken one");
            runs += 1;
        }
        writer.await.unwrap();
        assert_eq!(db.store.verify_ledger().await.unwrap().checked, 155);
    })
    .await;
}
