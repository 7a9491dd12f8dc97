//! Organisations and groups, clicked through: an instance administrator
//! creates organisation `acme` and its first administrator, who signs in
//! on acme's own page, creates a group that grants PM, adds a user,
//! defines a custom field and fills it in for them, and deletes and
//! restores them.

use gatehouse::domain::UserStatus;

use super::People;
use crate::browser::Result;
use crate::harness::{PASSWORD, spawn_app};

pub async fn an_instance_administrator_sets_up_acme_whose_admin_groups_a_user(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let root = app.admin().await;
    let (instance, wile) = (&people.admin, &people.user);

    instance.sign_in(&root.username, PASSWORD).await?;
    instance.click("nav a[href='/admin/organisations']").await?;
    instance.fill("#slug", "acme").await?;
    instance.fill("#name", "Acme Ltd").await?;
    instance
        .click("form[action='/admin/organisations'] button[type=submit]")
        .await?;
    let created = instance.flash().await?;
    assert!(created.contains("Acme"), "{created}");
    instance.fill("#username", "wile").await?;
    instance.fill("#email", "wile@acme.example").await?;
    instance.fill("#full_name", "Wile E. Coyote").await?;
    instance.fill("#password", PASSWORD).await?;
    instance.fill("#password_confirm", PASSWORD).await?;
    instance
        .click("form[action$='/admins'] button[type=submit]")
        .await?;
    assert_eq!(
        instance.flash().await?,
        "wile is an administrator of this organisation and can sign in now."
    );

    let acme = app.org("acme").await;
    let roadrunner = app
        .create_user_in(acme, "roadrunner", "Engineer", UserStatus::Active)
        .await;
    wile.open("/o/acme/login").await?;
    assert_eq!(wile.text("main h1").await?, "Sign in to Acme Ltd");
    wile.fill("#login", "wile").await?;
    wile.fill("#password", PASSWORD).await?;
    wile.click("form[action='/o/acme/login'] button[type=submit]")
        .await?;
    assert_eq!(wile.path().await?, "/");
    assert!(
        !wile.exists("nav a[href='/admin/organisations']").await?,
        "acme's admin does not manage organisations"
    );
    wile.click("nav a[href='/admin/groups']").await?;
    wile.fill("#name", "Planners").await?;
    wile.click("form[action='/admin/groups'] button[type=submit]")
        .await?;
    let grants = wile.texts("fieldset label").await?;
    let pm_index = grants
        .iter()
        .position(|name| name == "PM")
        .expect("acme has a PM role");
    wile.tick(&format!(
        "fieldset .check:nth-of-type({}) input",
        pm_index + 1
    ))
    .await?;
    wile.click("form[action^='/admin/groups/'] button[type=submit]")
        .await?;
    assert!(wile.flash().await?.starts_with("Planners has been saved."));
    wile.fill("#member-username", "roadrunner").await?;
    wile.click("form[action$='/members'] button[type=submit]")
        .await?;
    assert_eq!(wile.flash().await?, "roadrunner is now in Planners.");
    assert_eq!(
        wile.texts("main table tbody tr td a").await?,
        ["roadrunner"]
    );

    wile.click("nav a[href='/admin/fields']").await?;
    wile.fill("#key", "department").await?;
    wile.fill("#label", "Department").await?;
    wile.tick("#kind option[value='choice']").await?;
    wile.fill("#choices", "Sales\nOps").await?;
    wile.tick("#required").await?;
    wile.click("form[action='/admin/fields'] button[type=submit]")
        .await?;
    assert_eq!(
        wile.flash().await?,
        "The field Department has been created."
    );
    wile.click("nav a[href='/admin/groups']").await?;
    wile.click("main table tbody tr td a").await?;
    wile.click("main table tbody tr td a").await?;
    wile.tick("#field_department option:nth-child(3)").await?;
    wile.click("form[action$='/profile'] button[type=submit]")
        .await?;
    assert_eq!(wile.flash().await?, "roadrunner's profile has been saved.");
    let facts = wile.texts(".facts dt").await?;
    let values = wile.texts(".facts dd").await?;
    let department = facts.iter().position(|f| f == "Department");
    assert_eq!(
        department.map(|i| values[i].as_str()),
        Some("Ops"),
        "{facts:?}"
    );

    wile.fill("#delete-reason", "Moved to another company")
        .await?;
    wile.click("form[action$='/delete'] button[type=submit]")
        .await?;
    assert_eq!(
        wile.flash().await?,
        "roadrunner has been deleted and signed out. They can be restored for 30 days."
    );
    assert!(
        wile.text("#deletion")
            .await?
            .contains("Moved to another company")
    );
    wile.click("form[action$='/restore'] button[type=submit]")
        .await?;
    assert_eq!(wile.flash().await?, "roadrunner has been restored.");
    assert_eq!(
        app.user_status_in(acme, roadrunner.id).await,
        UserStatus::Active
    );
    wile.screenshot("an_instance_administrator_sets_up_acme_whose_admin_groups_a_user")
        .await
}
