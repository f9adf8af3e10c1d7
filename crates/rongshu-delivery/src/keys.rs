//! Master key rotation: every data key and organisation signing key is
//! re-wrapped, no data rewritten.

use rongshu_crypto::seal::MasterKey;
use rongshu_ledger::Attribution;
use rongshu_store::Store;

use crate::{DeliveryError, key_context};

/// Re-wraps every version's data key, every organisation's signing key
/// and every consent evidence file from `old` to `new` in one transaction with its ledger entry. Keys
/// already under `new` (an interrupted rotation run again) are left as
/// they are. Returns how many keys were re-wrapped.
pub async fn rewrap_all(
    store: &Store,
    old: &MasterKey,
    new: &MasterKey,
    by: &dyn Attribution,
) -> Result<usize, DeliveryError> {
    let new_id = new.id();
    let mut tx = store.begin().await?;
    let mut count = 0;
    for version in store.all_versions().await? {
        if version.master_key_id == new_id {
            continue;
        }
        let context = key_context(&version.object_name);
        let wrapped = hex::decode(&version.wrapped_key)
            .map_err(|_| rongshu_crypto::seal::SealError::KeyUnwrap)?;
        let key = old.unwrap(&wrapped, &context)?;
        let rewrapped = hex::encode(new.wrap(&key, &context));
        tx.rewrap_version_key(version.id, &rewrapped, &new_id)
            .await?;
        count += 1;
    }
    for key in store.signing_keys().await? {
        if key.master_key_id == new_id {
            continue;
        }
        let context = rongshu_workflow::signing_key_context(key.org_id);
        let sealed = hex::decode(&key.sealed_secret)
            .map_err(|_| rongshu_crypto::seal::SealError::KeyUnwrap)?;
        let secret = old.open_secret(&sealed, &context)?;
        let resealed = hex::encode(new.seal_secret(&secret, &context));
        tx.reseal_signing_key(key.org_id, &resealed, &new_id)
            .await?;
        count += 1;
    }
    for evidence in store.all_consent_evidence().await? {
        if evidence.master_key_id == new_id {
            continue;
        }
        let context = rongshu_workflow::evidence_context(evidence.demand_id);
        let sealed = hex::decode(&evidence.sealed)
            .map_err(|_| rongshu_crypto::seal::SealError::KeyUnwrap)?;
        let plain = old.open_secret(&sealed, &context)?;
        let resealed = hex::encode(new.seal_secret(&plain, &context));
        tx.reseal_consent_evidence(evidence.demand_id, &resealed, &new_id)
            .await?;
        count += 1;
    }
    tx.append(rongshu_ledger::EntryDraft {
        reason: Some(format!(
            "{count} data and signing keys and evidence files re-wrapped from master key {} to {new_id}",
            old.id()
        )),
        ..by.entry("keys.rotate", "master-key", Some(new_id.clone()))
    })
    .await?;
    tx.commit().await?;
    Ok(count)
}
