//! A tool behind nginx, clicked through: a user opens it, is sent to
//! Gatehouse's sign-in page, signs in and lands back in the tool, which
//! receives who they are; a user outside its rule lands on the page that
//! says why and follows its offer to request the role. Gatehouse and the
//! tool are both served by Debian's nginx with docs/examples/nginx-forward-auth.conf.

use gatehouse::domain::UserStatus;

use super::People;
use crate::browser::Result;
use crate::harness::{PASSWORD, spawn_app_with};
use crate::proxy::{Echo, Nginx, free_port};

pub async fn a_user_opens_a_tool_behind_nginx_and_signs_in_through_gatehouse(
    people: &mut People,
) -> Result {
    let echo = Echo::start();
    let (gatehouse_port, tool_port) = (free_port(), free_port());
    let public = format!("http://127.0.0.1:{gatehouse_port}");
    let app = spawn_app_with(|s| s.public_url = Some(public.clone())).await;
    let nginx = Nginx::start(
        app.address.trim_start_matches("http://"),
        &format!("127.0.0.1:{}", echo.port),
        gatehouse_port,
        tool_port,
    );
    let tool = format!("{}/", nginx.app_url());
    app.register_app("tool", &tool, &nginx.app_host(), &["Engineer"])
        .await;
    app.create_user("ada", "Engineer", UserStatus::Active).await;
    app.create_user("pat", "PM", UserStatus::Active).await;
    let (ada, pat) = (&mut people.user, &mut people.admin);
    ada.use_app(&nginx.gatehouse_url()).await?;
    pat.use_app(&nginx.gatehouse_url()).await?;

    ada.client.goto(&format!("{tool}docs?page=2")).await?;
    assert!(ada.path().await?.starts_with("/login?rd="));
    ada.fill("#login", "ada").await?;
    ada.fill("#password", PASSWORD).await?;
    ada.click("form[action='/login'] button[type=submit]")
        .await?;
    let url = ada.client.current_url().await?;
    assert_eq!(url.as_str(), format!("{tool}docs?page=2"));
    let echoed = ada.text("body").await?;
    assert!(echoed.contains(r#""x-gatehouse-user": "ada""#), "{echoed}");
    assert!(
        echoed.contains(r#""x-gatehouse-role": "Engineer""#),
        "{echoed}"
    );
    ada.open("/").await?;
    assert_eq!(ada.texts(".app-list a").await?, ["The tool"]);
    ada.screenshot("apps-home").await?;

    pat.client.goto(&tool).await?;
    pat.fill("#login", "pat").await?;
    pat.fill("#password", PASSWORD).await?;
    pat.click("form[action='/login'] button[type=submit]")
        .await?;
    pat.client.goto(&tool).await?;
    assert!(pat.path().await?.starts_with("/auth/denied?rd="));
    assert_eq!(pat.text("main h1").await?, "You may not open The tool");
    pat.screenshot("apps-denied").await?;
    pat.click("main a[href='/account/role-request?app=tool']")
        .await?;
    let chosen = pat.text("#app_id option:checked").await?;
    assert_eq!(chosen, "The tool");
    assert_eq!(pat.text("#role_id option:checked").await?, "Engineer");
    drop(nginx);
    Ok(())
}
