//! Custom fields: an administrator defines them at /admin/fields; users fill
//! in the ones they may on their profile and at registration; values are
//! checked against the definitions on every write, shown on the user page,
//! filtered on in the list and exported as CSV columns.

use gatehouse::domain::AuditAction;

use super::*;

/// A choice field users edit and a text field only administrators set.
async fn department_and_badge(app: &TestApp) -> (i64, i64) {
    let dept = app
        .create_field("department", "choice", "Sales\nOps", (false, false, true))
        .await;
    let badge = app
        .create_field("badge", "text", "", (false, false, false))
        .await;
    (dept.0, badge.0)
}

#[tokio::test]
async fn an_administrator_defines_a_field_and_a_user_fills_it_in_on_their_profile() {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    let response = app
        .create_field_with(&[
            ("key", "department"),
            ("label", "Department"),
            ("kind", "choice"),
            ("choices", "Sales\r\nOps\r\n"),
            ("user_editable", "on"),
        ])
        .await;

    assert_redirect_to(&response, "/admin/fields");
    let page = app.follow(response).await;
    assert_eq!(
        success(&page).as_deref(),
        Some("The field Department has been created.")
    );
    let created = app.audit_rows(AuditAction::FieldCreated).await;
    assert_eq!(
        created[0].content.after_value.as_deref(),
        Some("key department, Choice from a list (Sales, Ops); optional; users edit it")
    );
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let form = browser.profile_page().await;
    assert_eq!(
        texts(&form, "#field_department option"),
        ["None", "Sales", "Ops"]
    );
    let saved = browser
        .save_profile(&[
            ("full_name", "alice Tester"),
            ("phone", ""),
            ("field_department", "Ops"),
        ])
        .await;
    assert_redirect_to(&saved, "/account/profile");
    assert_eq!(app.metadata_of(alice.id).await, r#"{"department":"Ops"}"#);
    let user_page = app.user_page(alice.id).await;
    assert_eq!(fact(&user_page, "Department"), "Ops");
    let changed = app.audit_rows(AuditAction::ProfileChanged).await;
    assert_eq!(
        changed[0].content.after_value.as_deref(),
        Some("name: alice Tester; no phone; Department: Ops")
    );
}

#[tokio::test]
async fn a_definition_with_a_bad_key_no_type_no_choices_or_a_taken_label_re_renders_naming_the_field()
 {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    department_and_badge(&app).await;

    let page = html(
        app.create_field_with(&[("key", "Dept!"), ("label", "x"), ("kind", "")])
            .await,
    )
    .await;
    assert!(required_field_error(&page, "key").starts_with("Key must be 2 to 40"));
    assert!(required_field_error(&page, "label").starts_with("Label must be 2 to 60"));
    assert_eq!(field_error(&page, "kind"), "Choose the type of the field.");
    let no_choices = html(
        app.create_field_with(&[("key", "shift"), ("label", "Shift"), ("kind", "choice")])
            .await,
    )
    .await;
    assert_eq!(
        field_error(&no_choices, "choices"),
        "A choice field needs 1 to 50 choices, one per line."
    );
    let taken_label = html(
        app.create_field_with(&[("key", "dept2"), ("label", "DEPARTMENT"), ("kind", "text")])
            .await,
    )
    .await;
    assert_eq!(
        field_error(&taken_label, "label"),
        "A field with this label already exists."
    );
    let taken_key = html(
        app.create_field_with(&[("key", "badge"), ("label", "Badge no."), ("kind", "text")])
            .await,
    )
    .await;
    assert_eq!(
        field_error(&taken_key, "key"),
        "A field with this key already exists."
    );
    assert_eq!(app.count("custom_fields").await, 2);
}

#[tokio::test]
async fn a_wrong_value_an_unknown_key_a_missing_required_field_or_over_8_kib_is_refused_naming_the_field_and_nothing_is_stored()
 {
    let app = spawn_app().await;
    app.create_field("department", "choice", "Sales\nOps", (true, false, true))
        .await;
    app.create_field("birthday", "date", "", (false, false, true))
        .await;
    for key in ["notes_a", "notes_b", "notes_c", "notes_d", "notes_e"] {
        app.create_field(key, "text", "", (false, false, true))
            .await;
    }
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let base = [("full_name", "alice Tester"), ("phone", "")];

    let with = |extra: &[(&'static str, &'static str)]| {
        let mut fields = base.to_vec();
        fields.extend_from_slice(extra);
        fields
    };
    let wrong = html(
        browser
            .save_profile(&with(&[
                ("field_department", "Marketing"),
                ("field_birthday", "1990-02-30"),
                ("field_shoe_size", "42"),
            ]))
            .await,
    )
    .await;
    assert_eq!(
        field_error(&wrong, "field_department"),
        "department: choose one of Sales, Ops."
    );
    assert_eq!(
        field_error(&wrong, "field_birthday"),
        "birthday: enter a date as YYYY-MM-DD, e.g. 1990-04-23."
    );
    assert_eq!(
        first_attr(&wrong, "#field_birthday", "value").as_deref(),
        Some("1990-02-30"),
        "what was typed is shown again"
    );
    assert!(texts(&wrong, ".form-error")[0].contains("Please correct"));
    let missing = html(browser.save_profile(&with(&[("field_birthday", "")])).await).await;
    assert_eq!(
        field_error(&missing, "field_department"),
        "department is required."
    );
    // 480 four-byte characters are 1,920 bytes; five of them pass each
    // field's own limit and come to more than 8 KiB together.
    let long = "\u{1F600}".repeat(480);
    let mut too_big = base.to_vec();
    too_big.push(("field_department", "Sales"));
    for key in [
        "field_notes_a",
        "field_notes_b",
        "field_notes_c",
        "field_notes_d",
        "field_notes_e",
    ] {
        too_big.push((key, &long));
    }
    let over = html(browser.save_profile(&too_big).await).await;
    let message = required_field_error(&over, "field_notes_e");
    assert!(
        message.starts_with("notes e: the custom fields come to ")
            && message.ends_with("over the 8192 allowed; shorten this one."),
        "{message}"
    );
    let unknown = html(
        browser
            .save_profile(&with(&[
                ("field_department", "Sales"),
                ("field_shoe_size", "42"),
            ]))
            .await,
    )
    .await;
    assert_eq!(
        field_error(&unknown, "custom_fields"),
        "There is no field shoe_size."
    );
    assert_eq!(app.metadata_of(alice.id).await, "{}");
    assert!(
        app.audit_rows(AuditAction::ProfileChanged).await.is_empty(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_user_cannot_set_a_field_kept_for_administrators_but_an_administrator_can() {
    let app = spawn_app().await;
    department_and_badge(&app).await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    assert!(
        first_attr(&browser.profile_page().await, "#field_badge", "name").is_none(),
        "the user's form has no input for it"
    );

    let forged = html(
        browser
            .save_profile(&[("full_name", "alice Tester"), ("field_badge", "B-007")])
            .await,
    )
    .await;
    assert_eq!(
        field_error(&forged, "custom_fields"),
        "badge is set by an administrator."
    );
    app.signed_in_admin().await;
    let saved = app
        .follow(
            app.save_user_profile(
                alice.id,
                &[
                    ("full_name", "alice Tester"),
                    ("field_badge", "B-007"),
                    ("field_department", "Sales"),
                ],
            )
            .await,
        )
        .await;
    assert_eq!(
        success(&saved).as_deref(),
        Some("alice's profile has been saved.")
    );
    assert_eq!(fact(&saved, "badge"), "B-007");
    let refused = app
        .follow(
            app.save_user_profile(
                alice.id,
                &[("full_name", "alice Tester"), ("field_department", "HR")],
            )
            .await,
        )
        .await;
    assert_eq!(
        error(&refused).as_deref(),
        Some("department: choose one of Sales, Ops.")
    );
    assert_eq!(
        app.metadata_of(alice.id).await,
        r#"{"badge":"B-007","department":"Sales"}"#
    );
}

#[tokio::test]
async fn registration_asks_the_fields_marked_for_it_and_stores_what_was_given() {
    let app = spawn_app().await;
    app.create_field("department", "choice", "Sales\nOps", (true, true, true))
        .await;
    app.create_field("github", "handle", "", (false, true, true))
        .await;
    app.create_field("badge", "text", "", (true, false, false))
        .await;
    let form = app.get_html("/register").await;
    assert_eq!(
        texts(&form, "label[for^='field_']"),
        ["department", "github (optional)"]
    );
    let fields = |dept: &'static str| {
        vec![
            ("username", "newcomer"),
            ("email", "newcomer@example.com"),
            ("full_name", "New Comer"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("field_department", dept),
            ("field_github", "@new-comer"),
        ]
    };

    let missing = html(app.register_with(&fields("")).await).await;
    assert_eq!(
        field_error(&missing, "field_department"),
        "department is required."
    );
    assert_eq!(
        first_attr(&missing, "#field_github", "value").as_deref(),
        Some("@new-comer")
    );
    assert_eq!(app.count("users").await, 0, "nothing was stored");
    let response = app.register_with(&fields("Ops")).await;
    assert_redirect_to(&response, "/pending");
    let id = app.user_id("newcomer").await;
    assert_eq!(
        app.metadata_of(id).await,
        r#"{"department":"Ops","github":"new-comer"}"#
    );
}

#[tokio::test]
async fn a_choice_users_hold_cannot_be_removed_and_deleting_a_field_deletes_its_values() {
    let app = spawn_app().await;
    let (dept, _) = department_and_badge(&app).await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    browser
        .save_profile(&[("full_name", "alice Tester"), ("field_department", "Ops")])
        .await;
    app.signed_in_admin().await;

    let refused = app
        .follow(
            app.update_field(
                dept,
                &[
                    ("label", "Team"),
                    ("choices", "Sales\nMarketing"),
                    ("user_editable", "on"),
                ],
            )
            .await,
        )
        .await;
    assert_eq!(
        error(&refused).as_deref(),
        Some("Ops cannot be removed: 1 user(s) hold it. Change their department first.")
    );
    let renamed = app
        .follow(
            app.update_field(
                dept,
                &[
                    ("label", "Team"),
                    ("choices", "Sales\nOps\nMarketing"),
                    ("user_editable", "on"),
                ],
            )
            .await,
        )
        .await;
    assert_eq!(
        success(&renamed).as_deref(),
        Some("The field Team has been saved.")
    );
    let changed = app.audit_rows(AuditAction::FieldChanged).await;
    assert_eq!(
        changed[0].content.after_value.as_deref(),
        Some("key department, Choice from a list (Sales, Ops, Marketing); optional; users edit it")
    );
    assert_eq!(fact(&app.user_page(alice.id).await, "Team"), "Ops");
    let deleted = app.follow(app.delete_field(dept).await).await;
    assert_eq!(
        success(&deleted).as_deref(),
        Some("The field Team has been deleted, and its values with it (1 user(s) had one).")
    );
    assert_eq!(app.metadata_of(alice.id).await, "{}");
    assert_eq!(
        texts(&app.fields_page().await, "main table tbody tr").len(),
        1
    );
    let rows = app.audit_rows(AuditAction::FieldDeleted).await;
    assert_eq!(
        rows[0].content.after_value.as_deref(),
        Some("values removed from 1 user(s)")
    );
}

#[tokio::test]
async fn the_list_filters_on_a_choice_field_and_sorts_by_last_activity() {
    let app = spawn_app().await;
    department_and_badge(&app).await;
    let (_ada, ada) = signed_in(&app, "ada", "Engineer").await;
    let (_bob, bob) = signed_in(&app, "bob", "Engineer").await;
    app.create_user("cyd", "Engineer", UserStatus::Active).await;
    for (browser, team) in [(&ada, "Ops"), (&bob, "Sales")] {
        let name = if team == "Ops" {
            "ada Tester"
        } else {
            "bob Tester"
        };
        let saved = browser
            .save_profile(&[("full_name", name), ("field_department", team)])
            .await;
        assert_redirect_to(&saved, "/account/profile");
    }
    app.signed_in_admin().await;

    assert_eq!(
        listed(&app.admin_users("field_department=Ops").await),
        ["ada"]
    );
    assert_eq!(
        listed(&app.admin_users("field_department=Ops&q=ada").await),
        ["ada"]
    );
    assert!(listed(&app.admin_users("field_department=Sales&q=ada").await).is_empty());
    assert_eq!(
        listed(&app.admin_users("field_department=Nonsense").await).len(),
        4,
        "a choice the field does not offer filters nothing"
    );
    // Raw: last activity is written at most once a minute; set it outright.
    for (name, at) in [("ada", 1_000), ("bob", 3_000), ("admin", 2_000)] {
        sqlx::query("UPDATE users SET last_active_at = $1 WHERE username = $2")
            .bind(at as i64)
            .bind(name)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    assert_eq!(
        listed(&app.admin_users("sort=active").await),
        ["bob", "admin", "ada", "cyd"],
        "most recent first, never active last"
    );
    assert_eq!(
        listed(&app.admin_users("sort=active&q=e").await)
            .last()
            .map(String::as_str),
        Some("cyd")
    );
}

#[tokio::test]
async fn the_csv_export_holds_the_filtered_list_with_custom_columns_and_defuses_formulas() {
    let app = spawn_app().await;
    department_and_badge(&app).await;
    let (ada, browser) = signed_in(&app, "ada", "Engineer").await;
    browser
        .save_profile(&[
            ("full_name", "=HYPERLINK(\"x\")"),
            ("field_department", "Ops"),
        ])
        .await;
    app.create_user("bob", "Engineer", UserStatus::Pending)
        .await;
    app.signed_in_admin().await;

    let response = app.users_csv("field_department=Ops").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "id,username,email,full_name,phone,status,role,registered_utc,last_login_utc,logins,\
         last_active_utc,minutes_of_use,\"department\",\"badge\""
    );
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[1].starts_with(&format!("{},\"ada\",", ada.id)));
    assert!(
        lines[1].contains(",\"'=HYPERLINK(\"\"x\"\")\","),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",\"Ops\",\"\""), "{}", lines[1]);
    let pending = app.users_csv("status=pending").await.text().await.unwrap();
    assert_eq!(pending.lines().count(), 2);
    assert!(pending.lines().nth(1).unwrap().contains("\"bob\""));
    let everyone = app.users_csv("").await.text().await.unwrap();
    assert_eq!(everyone.lines().count(), 4, "a header and three users");
    let link = first_attr(
        &app.admin_users("status=pending").await,
        "a[download]",
        "href",
    );
    assert_eq!(link.as_deref(), Some("/admin/users.csv?status=pending"));
}
