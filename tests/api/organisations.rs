//! Organisations as their people and the instance's administrators meet
//! them: one organisation looks as before; an instance administrator
//! creates one and its first administrator, who signs in on its page;
//! usernames and emails are unique per organisation; the sign-in page
//! finds the organisation by host name, path or form field; a disabled
//! organisation signs nobody in; bad input re-renders the form.

use gatehouse::domain::UserStatus;
use reqwest::StatusCode;

use crate::helpers::*;

/// The fields of the new-administrator form for `username`.
fn admin_fields(username: &str) -> Vec<(&'static str, String)> {
    vec![
        ("username", username.to_owned()),
        ("email", format!("{username}@acme.example")),
        ("full_name", "Wile E. Coyote".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("password_confirm", PASSWORD.to_owned()),
    ]
}

fn fields<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn organisation_count(app: &TestApp) -> i64 {
    app.count("organisations").await
}

#[tokio::test]
async fn with_one_organisation_the_sign_in_and_registration_pages_look_as_before() {
    let app = spawn_app().await;

    let login = app.get_html("/login").await;
    let register = app.get_html("/register").await;

    assert_eq!(texts(&login, "main h1"), ["Sign in"]);
    assert_eq!(texts(&register, "main h1"), ["Create your account"]);
    assert_eq!(first_attr(&login, "#organisation", "name"), None);
    assert_eq!(first_attr(&register, "#organisation", "name"), None);
    assert_eq!(
        first_attr(&login, "main form", "action").as_deref(),
        Some("/login")
    );
    let admin = app.admin().await;
    assert_redirect_to(
        &app.login_with(&[("login", &admin.username), ("password", PASSWORD)])
            .await,
        "/",
    );
}

#[tokio::test]
async fn an_instance_administrator_creates_an_organisation_whose_first_administrator_signs_in_on_its_page()
 {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    let created = app
        .create_organisation(&[("slug", "acme"), ("name", "Acme Ltd"), ("host", "")])
        .await;
    let location = location_of(&created).expect("a redirect");
    assert!(location.starts_with("/admin/organisations/"), "{location}");
    let id = location
        .trim_start_matches("/admin/organisations/")
        .to_owned();
    let admin = admin_fields("wile");
    let response = app.create_organisation_admin(&id, &fields(&admin)).await;
    assert_redirect_to(&response, &format!("/admin/organisations/{id}"));
    let listing = app.organisations_page().await;
    let detail = app.organisation_page(&id).await;

    assert_eq!(organisation_count(&app).await, 2);
    assert!(
        texts(&listing, "tbody tr")
            .iter()
            .any(|row| row.contains("Acme Ltd") && row.contains("acme") && row.contains('1')),
        "{:?}",
        texts(&listing, "tbody tr")
    );
    assert!(
        texts(&detail, "dl.facts dd")
            .iter()
            .any(|fact| fact == "/o/acme/login"),
        "{:?}",
        texts(&detail, "dl.facts dd")
    );
    let browser = app.another_browser();
    let page = browser.login_page_of("acme").await;
    assert_eq!(texts(&page, "main h1"), ["Sign in to Acme Ltd"]);
    let register = browser.register_page_of("acme").await;
    assert_eq!(
        texts(&register, "main h1"),
        ["Create your account at Acme Ltd"]
    );
    assert_eq!(
        first_attr(&register, "main form", "action").as_deref(),
        Some("/o/acme/register")
    );
    let wile = TestUser {
        id: gatehouse::domain::UserId(0),
        username: "wile".into(),
        password: PASSWORD.into(),
    };
    assert_redirect_to(&browser.login_as_at("acme", &wile).await, "/");
    let users = browser.admin_users("").await;
    assert_eq!(listed(&users), ["wile"]);
    let roles = browser.get_html("/admin/roles").await;
    assert_eq!(
        texts(&roles, "main section h2").len(),
        5,
        "four roles and the form"
    );
    assert!(
        !browser
            .get("/admin/roles")
            .await
            .text()
            .await
            .unwrap()
            .contains("organisations.manage"),
        "another organisation's roles cannot grant organisations.manage"
    );
    assert_eq!(
        browser.get("/admin/organisations").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_bad_slug_name_or_host_re_renders_the_form_with_its_message_and_stores_nothing() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_org("taken", "Taken").await;
    app.create_organisation(&[
        ("slug", "hosted"),
        ("name", "Hosted"),
        ("host", "hosted.example.com"),
    ])
    .await;
    let before = organisation_count(&app).await;

    for (slug, name, host, field, message) in [
        (
            "admin",
            "Admin",
            "",
            "slug",
            "That slug is reserved by Gatehouse; choose another.",
        ),
        (
            "o",
            "O",
            "",
            "slug",
            "That slug is reserved by Gatehouse; choose another.",
        ),
        (
            "Acme",
            "Acme",
            "",
            "slug",
            "Slug may only contain lower-case letters, digits and hyphens.",
        ),
        ("a", "A", "", "slug", "Slug must be 2 to 40 characters."),
        (
            "taken",
            "Again",
            "",
            "slug",
            "An organisation with this slug already exists.",
        ),
        ("fresh", "", "", "name", "Please enter a name."),
        (
            "fresh",
            "Fresh",
            "fresh.example.com:8080",
            "host",
            "Host name must look like acme.example.com: letters, digits and hyphens between dots, with no port or path.",
        ),
        (
            "fresh",
            "Fresh",
            "Hosted.Example.com",
            "host",
            "Another organisation already answers on this host name.",
        ),
    ] {
        let response = app
            .create_organisation(&[("slug", slug), ("name", name), ("host", host)])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{slug:?} {name:?} {host:?}"
        );
        let page = html(response).await;
        assert_eq!(
            field_error(&page, field),
            message,
            "{slug:?} {name:?} {host:?}"
        );
        assert_eq!(
            first_attr(&page, "#slug", "value").as_deref(),
            Some(slug),
            "the form keeps what was typed"
        );
    }
    assert_eq!(organisation_count(&app).await, before);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_within_an_organisation_not_across_them() {
    let app = spawn_app().await;
    app.create_user("ada", "Engineer", UserStatus::Active).await;
    app.create_org("acme", "Acme").await;
    let register = |email: &'static str| {
        [
            ("username", "ada"),
            ("email", email),
            ("full_name", "Ada Lovelace"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ]
    };

    let first = app
        .another_browser()
        .register_at("acme", &register("ada@example.com"))
        .await;
    let again = app
        .another_browser()
        .register_at("acme", &register("ADA@example.com"))
        .await;

    assert_redirect_to(&first, "/pending");
    assert_eq!(again.status(), StatusCode::OK);
    let page = html(again).await;
    assert_eq!(
        field_error(&page, "username"),
        "This username is already taken."
    );
    assert_eq!(
        field_error(&page, "email"),
        "An account with this email address already exists."
    );
    assert_eq!(app.count("users").await, 2);
}

#[tokio::test]
async fn with_several_organisations_the_plain_sign_in_page_asks_for_one_and_names_a_wrong_one() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "Acme").await;
    let wile = app
        .create_user_in(acme, "wile", "Engineer", UserStatus::Active)
        .await;
    let login = [("login", "wile"), ("password", PASSWORD)];

    let page = app.get_html("/login").await;
    let missing = app.login_with(&login).await;
    let wrong = app
        .login_with(&[login[0], login[1], ("organisation", "acne")])
        .await;
    let elsewhere = app
        .login_with(&[login[0], login[1], ("organisation", "default")])
        .await;
    let right = app
        .login_with(&[login[0], login[1], ("organisation", "acme")])
        .await;

    assert_eq!(
        first_attr(&page, "#organisation", "name").as_deref(),
        Some("organisation")
    );
    assert_eq!(
        field_error(&html(missing).await, "organisation"),
        "Enter your organisation's short name (its slug)."
    );
    assert_eq!(
        field_error(&html(wrong).await, "organisation"),
        "There is no organisation called \"acne\"."
    );
    assert_eq!(elsewhere.status(), StatusCode::OK, "wile is not in default");
    assert_redirect_to(&right, "/");
    assert_eq!(app.sessions_of(wile.id).await, 1);
}

#[tokio::test]
async fn an_organisation_with_a_host_name_is_found_by_the_requests_host() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let created = app
        .create_organisation(&[
            ("slug", "acme"),
            ("name", "Acme"),
            ("host", "acme.gatehouse.example"),
        ])
        .await;
    let id = location_of(&created)
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let admin = admin_fields("wile");
    app.create_organisation_admin(&id, &fields(&admin)).await;
    let browser = app.another_browser();

    let page = browser
        .client
        .get(browser.url("/login"))
        .header("Host", "Acme.Gatehouse.Example:8443")
        .send()
        .await
        .unwrap();

    let page = html(page).await;
    assert_eq!(texts(&page, "main h1"), ["Sign in to Acme"]);
    assert_eq!(first_attr(&page, "#organisation", "name"), None);
}

#[tokio::test]
async fn an_unknown_slug_answers_404() {
    let app = spawn_app().await;

    assert_eq!(
        app.get("/o/nowhere/login").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/o/nowhere/register").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn disabling_an_organisation_signs_its_people_out_and_keeps_them_out_until_it_is_enabled() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let acme = app.create_org("acme", "Acme").await;
    let wile = app
        .create_user_in(acme, "wile", "Engineer", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    browser.login_as_at("acme", &wile).await;
    let login = [("login", "wile"), ("password", PASSWORD)];

    let disabled = app.disable_organisation(acme).await;
    let after = browser.get("/").await;
    let refused = app.another_browser().login_at("acme", &login).await;
    let default_refused = app.follow(app.disable_organisation(1).await).await;
    app.enable_organisation(acme).await;
    let again = app.another_browser().login_at("acme", &login).await;

    assert_redirect_to(&disabled, &format!("/admin/organisations/{acme}"));
    assert_eq!(app.sessions_of(wile.id).await, 1, "only the new sign-in");
    assert_eq!(location_of(&after).as_deref(), Some("/login"));
    assert_eq!(refused.status(), StatusCode::OK);
    assert_eq!(
        texts(&html(refused).await, ".form-error"),
        ["Acme is disabled: nobody in it can sign in or register."]
    );
    assert_eq!(
        flash(&default_refused).as_deref(),
        Some(
            "The default organisation holds the instance's administrators and cannot be disabled."
        )
    );
    assert_redirect_to(&again, "/");
}

#[tokio::test]
async fn renaming_an_organisation_is_audited_with_before_and_after() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let acme = app.create_org("acme", "Acme").await;

    let renamed = app
        .rename_organisation(
            acme,
            &[("name", "Acme Holdings"), ("host", "acme.example.com")],
        )
        .await;
    let unchanged = app
        .rename_organisation(
            acme,
            &[("name", "Acme Holdings"), ("host", "acme.example.com")],
        )
        .await;

    assert_redirect_to(&renamed, &format!("/admin/organisations/{acme}"));
    assert_eq!(unchanged.status(), StatusCode::OK);
    assert_eq!(
        field_error(&html(unchanged).await, "name"),
        "Acme Holdings already has this name and host name."
    );
    let rows = app
        .audit_rows(gatehouse::domain::AuditAction::OrganisationRenamed)
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].before_value.as_deref(), Some("Acme (no host name)"));
    assert_eq!(
        rows[0].after_value.as_deref(),
        Some("Acme Holdings (acme.example.com)")
    );
}

#[tokio::test]
async fn the_command_line_creates_an_organisation_and_its_administrator() {
    let app = spawn_app().await;
    let cli = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(args)
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .env(
                "GATEHOUSE_SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the command runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let created = cli(&["org", "create", "--slug", "acme", "--name", "Acme"], "");
    let duplicate = cli(&["org", "create", "--slug", "acme", "--name", "Acme"], "");
    let user = cli(
        &[
            "user",
            "create",
            "--org",
            "acme",
            "--username",
            "wile",
            "--email",
            "wile@acme.example",
            "--full-name",
            "Wile E. Coyote",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let nowhere = cli(
        &[
            "user",
            "create",
            "--org",
            "nowhere",
            "--username",
            "x",
            "--email",
            "x@x.example",
            "--full-name",
            "X",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );

    assert_eq!(created.status.code(), Some(0), "{}", text(&created));
    assert!(text(&created).contains("gatehouse user create --org acme"));
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(text(&duplicate).contains("An organisation with this slug already exists."));
    assert_eq!(user.status.code(), Some(0), "{}", text(&user));
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(text(&nowhere).contains("there is no organisation with the slug \"nowhere\""));
    let wile = TestUser {
        id: gatehouse::domain::UserId(0),
        username: "wile".into(),
        password: PASSWORD.into(),
    };
    assert_redirect_to(&app.login_as_at("acme", &wile).await, "/");
}
