//! Master key rotation: every data key and organisation signing key is
//! re-wrapped, no data rewritten.

use rongshu_crypto::seal::{MasterKey, SealError};
use rongshu_ledger::Attribution;
use rongshu_store::{Sealed, Store, UseScope};

use crate::{DeliveryError, key_context};

/// Re-wraps every version's and sandbox table's data key, every organisation's signing key,
/// every consent evidence file, every webhook secret, every product's keys,
/// every consulting deliverable, every feedback file and every sandbox
/// export's result from
/// `old` to `new` in one transaction
/// with its ledger entry. What is already under `new` (an interrupted
/// rotation run again) is left as it is. Returns how many were re-wrapped.
pub async fn rewrap_all(
    store: &Store,
    old: &MasterKey,
    new: &MasterKey,
    by: &dyn Attribution,
) -> Result<usize, DeliveryError> {
    let new_id = new.id();
    let mut tx = store.begin().await?;
    let mut count = 0;
    // Data keys, wrapped with their object's name as context.
    let rewrap = |object_name: &str, wrapped: &str| -> Result<String, DeliveryError> {
        let context = key_context(object_name);
        let wrapped = hex::decode(wrapped).map_err(|_| SealError::KeyUnwrap)?;
        let key = old.unwrap(&wrapped, &context)?;
        Ok(hex::encode(new.wrap(&key, &context)))
    };
    for version in store.all_versions().await? {
        if version.master_key_id != new_id {
            let rewrapped = rewrap(&version.object_name, &version.wrapped_key)?;
            tx.reseal(Sealed::VersionKey, version.id, &rewrapped, &new_id)
                .await?;
            count += 1;
        }
    }
    for kept in store.sandbox_tables(None).await? {
        let table = &kept.table;
        if table.master_key_id != new_id {
            let rewrapped = rewrap(&table.object_name, &table.wrapped_key)?;
            tx.reseal(Sealed::SandboxTableKey, kept.id, &rewrapped, &new_id)
                .await?;
            count += 1;
        }
    }
    // Secrets sealed whole under the master key: signing keys, consent
    // evidence, webhook secrets.
    let reseal = |sealed: &str, context: &[u8]| -> Result<String, DeliveryError> {
        let sealed = hex::decode(sealed).map_err(|_| SealError::KeyUnwrap)?;
        let plain = old.open_secret(&sealed, context)?;
        Ok(hex::encode(new.seal_secret(&plain, context)))
    };
    for key in store.signing_keys().await? {
        if key.master_key_id != new_id {
            let context = rongshu_workflow::signing_key_context(key.org_id);
            let resealed = reseal(&key.sealed_secret, &context)?;
            tx.reseal(Sealed::SigningKey, key.org_id, &resealed, &new_id)
                .await?;
            count += 1;
        }
    }
    for evidence in store.all_consent_evidence().await? {
        if evidence.master_key_id != new_id {
            let context = rongshu_workflow::evidence_context(evidence.demand_id);
            let resealed = reseal(&evidence.sealed, &context)?;
            tx.reseal(
                Sealed::ConsentEvidence,
                evidence.demand_id,
                &resealed,
                &new_id,
            )
            .await?;
            count += 1;
        }
    }
    for hook in store.webhooks(None).await? {
        if hook.master_key_id != new_id {
            let context = rongshu_workflow::webhook_context(hook.org_id);
            let resealed = reseal(&hook.sealed_secret, &context)?;
            tx.reseal(Sealed::WebhookSecret, hook.id, &resealed, &new_id)
                .await?;
            count += 1;
        }
    }
    for message in store.consulting_files().await? {
        if let Some(file) = message.file.filter(|f| f.master_key_id != new_id) {
            let context = rongshu_workflow::consulting_file_context(message.order_id);
            let resealed = reseal(&file.sealed, &context)?;
            tx.reseal(Sealed::ConsultingFile, message.id, &resealed, &new_id)
                .await?;
            count += 1;
        }
    }
    for feedback in store.feedback(UseScope::All).await? {
        if let Some(file) = feedback.file.filter(|f| f.master_key_id != new_id) {
            let context =
                rongshu_workflow::feedback_file_context(feedback.org_id, feedback.product_id);
            let resealed = reseal(&file.sealed, &context)?;
            tx.reseal(Sealed::FeedbackFile, feedback.id, &resealed, &new_id)
                .await?;
            count += 1;
        }
    }
    for export in store.sandbox_exports(None, None).await? {
        let record = &export.export;
        if record.result.master_key_id != new_id {
            let context =
                rongshu_workflow::sandbox_export_context(record.agreement_id, record.query_id);
            let resealed = reseal(&record.result.sealed, &context)?;
            tx.reseal(Sealed::SandboxExport, export.id, &resealed, &new_id)
                .await?;
            count += 1;
        }
    }
    for product in store.products().await? {
        if product.master_key_id != new_id {
            let context = rongshu_deid::product_key_context(&product.input.code);
            let resealed = reseal(&product.wrapped_key, &context)?;
            tx.reseal(Sealed::ProductKeys, product.id, &resealed, &new_id)
                .await?;
            count += 1;
        }
    }
    tx.append(rongshu_ledger::EntryDraft {
        reason: Some(format!(
            "{count} keys and sealed secrets re-wrapped from master key {} to {new_id}",
            old.id()
        )),
        ..by.entry("keys.rotate", "master-key", Some(new_id.clone()))
    })
    .await?;
    tx.commit().await?;
    Ok(count)
}
