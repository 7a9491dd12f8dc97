//! The organisation's settings (`/admin/settings`): whether reviewers
//! approve only confirmed addresses, audited before → after and scoped to
//! the administrator's organisation; and the outbox page while mail is off
//! (as in these tests).

use gatehouse::domain::{AuditAction, DEFAULT_ORGANISATION, OrgId};

use super::*;

const ONLY_CONFIRMED: &str = "approve only confirmed email addresses";
const ANY_ADDRESS: &str = "approve any address";
const SAVED: &str = "The settings have been saved.";
const NOTHING_TO_SAVE: &str = "Nothing to save: the settings are as they were.";
type Fields = &'static [(&'static str, &'static str)];

const TICKED: Fields = &[("approve_verified_only", "on")];
const UNTICKED: Fields = &[];

/// `organisations.approve_verified_only` as stored: `None` for the default.
async fn stored_setting(app: &TestApp, org: OrgId) -> Option<i64> {
    sqlx::query_scalar("SELECT approve_verified_only FROM organisations WHERE id = $1")
        .bind(org.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Whether the settings page shows the box ticked.
fn ticked(page: &Html) -> bool {
    first_attr(page, "#approve_verified_only", "checked").is_some()
}

/// Saves `fields` on the settings page and returns the flash it answers with.
async fn save(app: &TestApp, fields: Fields) -> Option<String> {
    let response = app.save_settings(fields).await;
    assert_redirect_to(&response, "/admin/settings");
    success(&app.follow(response).await)
}

/// (before, after) of each settings_changed row, oldest first.
async fn setting_changes(app: &TestApp) -> Vec<(String, String)> {
    app.audit_rows(AuditAction::SettingsChanged)
        .await
        .into_iter()
        .map(|r| {
            (
                r.content.before_value.unwrap_or_default(),
                r.content.after_value.unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_administrator_turns_approving_only_confirmed_addresses_off_and_on_and_each_change_is_audited()
 {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let default = app.settings_page().await;
    assert!(ticked(&default), "on by default");
    assert_eq!(stored_setting(&app, DEFAULT_ORGANISATION).await, None);

    // Saving the default as it is pins it (the stored value is no longer
    // NULL), but the setting that applies is as it was; the changes counted
    // below are those after it.
    let pinned = save(&app, TICKED).await;
    let pinned_rows = setting_changes(&app).await.len();
    let off = save(&app, UNTICKED).await;
    let off_page = app.settings_page().await;
    let on = save(&app, TICKED).await;
    let again = save(&app, TICKED).await;

    assert_eq!(pinned.as_deref(), Some(NOTHING_TO_SAVE));
    assert_eq!(off.as_deref(), Some(SAVED));
    assert!(!ticked(&off_page));
    assert_eq!(on.as_deref(), Some(SAVED));
    assert_eq!(again.as_deref(), Some(NOTHING_TO_SAVE));
    assert!(ticked(&app.settings_page().await));
    assert_eq!(stored_setting(&app, DEFAULT_ORGANISATION).await, Some(1));
    let changes = setting_changes(&app).await;
    assert_eq!(
        changes[pinned_rows..],
        [
            (ONLY_CONFIRMED.to_owned(), ANY_ADDRESS.to_owned()),
            (ANY_ADDRESS.to_owned(), ONLY_CONFIRMED.to_owned()),
        ]
    );
    let rows = app.audit_rows(AuditAction::SettingsChanged).await;
    let last = rows.last().unwrap();
    assert_eq!(last.content.actor_username.as_deref(), Some("admin"));
    assert_eq!(last.content.target_label.as_deref(), Some("Default"));
}

#[tokio::test]
async fn with_mail_off_the_setting_waits_and_an_unconfirmed_pending_user_is_approved() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    save(&app, TICKED).await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;

    let settings = app.settings_page().await;
    let user_page = app.user_page(paul.id).await;
    let response = app.approve_user(paul.id, &[]).await;

    assert!(ticked(&settings));
    assert!(
        texts(&settings, "fieldset p.muted")
            .concat()
            .contains("the setting applies once mail is on"),
        "{:?}",
        texts(&settings, "fieldset p.muted")
    );
    assert_eq!(texts(&user_page, "#approve-waits"), Vec::<String>::new());
    assert_eq!(
        first_attr(
            &user_page,
            "form[action$='/approve'] button[type=submit]",
            "disabled"
        ),
        None
    );
    assert_redirect_to(&response, &paths::user(paul.id));
    let page = app.follow(response).await;
    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
}

#[tokio::test]
async fn with_mail_off_the_outbox_says_so_lists_nothing_and_takes_a_bogus_status() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    // Something that would be mailed were mail on.
    app.another_browser()
        .register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;

    let page = app.outbox_page("").await;
    let bogus = app.outbox_page("status=bogus&recipient=").await;
    let filtered = app.outbox_page("status=queued&recipient=patient").await;

    assert!(
        texts(&page, "main p[role=status]")
            .concat()
            .starts_with("Mail is off on this instance"),
        "{:?}",
        texts(&page, "main p[role=status]")
    );
    assert_eq!(texts(&page, "#outbox tbody tr"), Vec::<String>::new());
    assert_eq!(texts(&page, "#outbox-empty"), ["No messages."]);
    assert_eq!(texts(&bogus, "#outbox-empty"), ["No messages."]);
    assert_eq!(
        first_attr(&bogus, "#status option[selected]", "value"),
        None
    );
    assert_eq!(
        texts(&filtered, "#outbox-empty"),
        ["No messages match these filters."]
    );
    assert_eq!(app.count("mail_outbox").await, 0);
}

#[tokio::test]
async fn another_organisations_administrator_changes_only_their_own_setting() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let acme = app.create_org("acme", "Acme").await;
    let wile = app
        .create_user_in(acme, "wile", "Admin", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    browser.login_as_at("acme", &wile).await;

    let saved = save(&browser, UNTICKED).await;

    assert_eq!(saved.as_deref(), Some(SAVED));
    assert!(!ticked(&browser.settings_page().await));
    assert_eq!(stored_setting(&app, acme).await, Some(0));
    assert_eq!(stored_setting(&app, DEFAULT_ORGANISATION).await, None);
    assert!(ticked(&app.settings_page().await));
    assert_eq!(setting_changes(&app).await, Vec::new());
    let acme_rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE organisation_id = $1 AND action = $2",
    )
    .bind(acme.0)
    .bind(AuditAction::SettingsChanged.as_str())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(acme_rows, 1);
}
