//! Organisations' outbound webhooks (the inbox, pushed to office systems):
//! each has its own secret, shown once and kept sealed under the master
//! key, with which every post is signed (HMAC-SM3).

use rongshu_crypto::{SecretToken, sm3_hex};
use rongshu_domain::{Actor, Role};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::Webhook;

use crate::{Workflow, WorkflowError, acting};

/// What a webhook's secret is sealed to.
pub fn webhook_context(org_id: i64) -> Vec<u8> {
    format!("rongshu webhook secret of organisation {org_id}").into_bytes()
}

fn admin(actor: &Actor) -> Result<(), WorkflowError> {
    acting(actor)?;
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(WorkflowError::Forbidden(
            "an organisation's administrators manage its webhooks",
        ))
    }
}

impl Workflow {
    /// Adds a webhook for the caller's organisation; returns it with its
    /// secret, which is shown this once.
    pub async fn add_webhook(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        url: &str,
    ) -> Result<(Webhook, String), WorkflowError> {
        admin(actor)?;
        let url = url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(WorkflowError::Invalid {
                field: "url",
                problem: "must be an http:// or https:// URL of at most 500 characters",
            });
        }
        let secret = SecretToken::generate("rswh_").secret;
        let sealed = self
            .master
            .seal_secret(secret.expose().as_bytes(), &webhook_context(actor.org_id));
        let mut tx = self.store.begin_aside().await?;
        let id = tx
            .insert_webhook(
                actor.org_id,
                url,
                &hex::encode(sealed),
                &self.master.id(),
                Some(actor.account_id),
                self.now_ms(),
            )
            .await?;
        tx.append(EntryDraft {
            reason: Some(format!(
                "{url} (secret SM3 {})",
                &sm3_hex(secret.expose())[..16]
            )),
            ..by.entry("webhook.create", "webhook", Some(id.to_string()))
        })
        .await?;
        tx.commit().await?;
        let hook = self
            .store
            .webhooks(Some(actor.org_id))
            .await?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or(WorkflowError::Store(rongshu_store::StoreError::NotFound {
                what: "webhook",
                id: id.to_string(),
            }))?;
        Ok((hook, secret.expose().to_owned()))
    }

    pub async fn remove_webhook(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
    ) -> Result<(), WorkflowError> {
        admin(actor)?;
        let mut tx = self.store.begin_aside().await?;
        tx.disable_webhook(actor.org_id, id).await?;
        tx.append(by.entry("webhook.disable", "webhook", Some(id.to_string())))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The webhook's secret, to sign a post with.
    pub fn webhook_secret(&self, hook: &Webhook) -> Result<String, WorkflowError> {
        let broken = || WorkflowError::Sealed {
            what: "webhook secret",
            org_id: hook.org_id,
        };
        let sealed = hex::decode(&hook.sealed_secret).map_err(|_| broken())?;
        let secret = self
            .master
            .open_secret(&sealed, &webhook_context(hook.org_id))
            .map_err(|_| broken())?;
        String::from_utf8(secret).map_err(|_| broken())
    }
}
