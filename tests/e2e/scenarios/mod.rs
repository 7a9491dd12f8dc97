//! What people do in Gatehouse, clicked through in a real browser. Each
//! scenario is its own test, so one that fails does not hide the others: it
//! starts its own chromedriver and two browsers (an administrator's and the
//! user's the story is about), and a fresh database.

mod apps;
mod mail;
mod oidc;
mod organisations;
mod stories;

use crate::browser::{Browser, DESKTOP, Driver, Result};
use crate::harness::TestApp;

/// Two people: an administrator and the user the story is about.
pub struct People {
    pub admin: Browser,
    pub user: Browser,
}

impl People {
    async fn start(driver: &Driver) -> People {
        People {
            admin: driver.browser(DESKTOP).await,
            user: driver.browser(DESKTOP).await,
        }
    }

    /// Points both browsers at `app`.
    pub async fn on(&mut self, app: &TestApp) -> Result {
        self.admin.use_app(&app.address).await?;
        self.user.use_app(&app.address).await
    }

    async fn close(self) {
        self.admin.close().await.unwrap();
        self.user.close().await.unwrap();
    }
}

/// A test per scenario, running the steps of the same name in its module.
macro_rules! scenarios {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let driver = Driver::start();
            let mut people = People::start(&driver).await;
            $module::$name(&mut people)
                .await
                .unwrap_or_else(|e| panic!("{} failed: {e:#}", stringify!($name)));
            people.close().await;
        }
    )*};
}

scenarios!(
    stories::a_visitor_registers_and_lands_on_the_pending_page,
    stories::an_admin_approves_an_account_from_the_queue_and_sees_the_flash,
    stories::an_approved_user_signs_in_and_sees_role_and_status_at_home,
    stories::a_role_request_approved_by_an_admin_shows_the_new_role,
    stories::a_disabled_user_lands_on_the_login_page_at_the_next_click,
    stories::an_admin_approves_three_pending_users_at_once_from_the_list,
    stories::a_wrong_password_gets_a_message_tied_to_the_form,
    stories::a_keyboard_user_signs_in_with_tab_and_enter_and_sees_the_focus,
    stories::a_locked_account_is_refused_until_an_admin_clears_the_lockout,
    organisations::an_instance_administrator_sets_up_acme_whose_admin_groups_a_user,
    apps::a_user_opens_a_tool_behind_nginx_and_signs_in_through_gatehouse,
    oidc::a_user_signs_in_to_an_app_with_gatehouse_and_one_outside_its_rule_is_refused,
    mail::a_user_who_forgot_their_password_resets_it_from_the_mailed_link_and_signs_in,
    mail::an_invited_colleague_joins_from_the_mailed_link_and_signs_in,
);
