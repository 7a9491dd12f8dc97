//! Admin: groups, their members and the roles they grant (`groups.manage`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::outcome;
use crate::domain::{Group, GroupId, GroupMember, Role, RoleId, UserId};
use crate::services::groups::{self, Member};
use crate::services::queries;
use crate::web::auth::Empty;
use crate::web::auth::safe_next;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::forms::{FormErrors, parse_id};
use crate::web::layout::Layout;
use crate::web::render;

type Manage = Ctx<Require<perm::GroupsManage>>;

#[derive(Default, Deserialize)]
pub struct NewGroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct ListPage {
    layout: Layout,
    groups: Vec<Group>,
    form: NewGroupForm,
    errors: FormErrors,
}

async fn list_page(
    ctx: &Manage,
    form: NewGroupForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    Ok(render(ListPage {
        layout: ctx.layout().await?,
        groups: groups::list(&ctx.db, &ctx.scope()).await?,
        form,
        errors,
    }))
}

pub async fn list(ctx: Manage) -> Result<HttpResponse, AppError> {
    list_page(&ctx, NewGroupForm::default(), FormErrors::default()).await
}

pub async fn create(ctx: Manage, form: CsrfForm<NewGroupForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match groups::create(
        &ctx.db,
        ctx.authorized(),
        &form.name,
        &form.description,
        &ctx.meta,
    )
    .await
    {
        Ok(id) => Ok(redirect_with(
            &format!("/admin/groups/{id}"),
            Flash::success(format!(
                "The group {} has been created. Choose what it grants and add its members.",
                form.name.trim()
            )),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "name")?;
            let echoed = NewGroupForm {
                name: form.name.chars().take(100).collect(),
                description: form.description.chars().take(300).collect(),
            };
            list_page(&ctx, echoed, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/group.html")]
struct GroupPage {
    layout: Layout,
    group: Group,
    members: Vec<GroupMember>,
    roles: Vec<Role>,
}

pub async fn detail(ctx: Manage, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = GroupId(path.into_inner());
    let (group, members) = groups::detail(&ctx.db, &ctx.scope(), id).await?;
    Ok(render(GroupPage {
        layout: ctx.layout().await?,
        group,
        members,
        roles: queries::roles(&ctx.db, &ctx.scope()).await?,
    }))
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    roles: Vec<String>,
}

pub async fn update(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<UpdateForm>,
) -> Result<HttpResponse, AppError> {
    let id = GroupId(path.into_inner());
    let form = form.into_inner();
    let roles: Vec<RoleId> = form
        .roles
        .iter()
        .filter_map(|r| parse_id(r))
        .map(RoleId)
        .collect();
    let result = groups::update(
        &ctx.db,
        ctx.authorized(),
        id,
        &roles,
        &form.description,
        &ctx.meta,
    )
    .await;
    outcome(&format!("/admin/groups/{id}"), result, |name| {
        format!(
            "{name} has been saved. Its members have its roles' permissions from their next page."
        )
    })
}

pub async fn delete(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = GroupId(path.into_inner());
    match groups::delete(&ctx.db, ctx.authorized(), id, &ctx.meta).await {
        Ok(name) => Ok(redirect_with(
            "/admin/groups",
            Flash::success(format!("The group {name} has been deleted.")),
        )),
        Err(err) => outcome(&format!("/admin/groups/{id}"), Err::<(), _>(err), |_| {
            String::new()
        }),
    }
}

#[derive(Deserialize)]
pub struct AddByNameForm {
    #[serde(default)]
    username: String,
}

pub async fn add_member(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<AddByNameForm>,
) -> Result<HttpResponse, AppError> {
    let id = GroupId(path.into_inner());
    let form = form.into_inner();
    let result = groups::add_member(
        &ctx.db,
        ctx.authorized(),
        id,
        Member::Username(&form.username),
        &ctx.meta,
    )
    .await;
    outcome(&format!("/admin/groups/{id}"), result, |(user, group)| {
        format!("{user} is now in {group}.")
    })
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    user_id: String,
    /// Where to go afterwards (the user page), else the group page.
    #[serde(default)]
    back: String,
}

pub async fn remove_member(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    let id = GroupId(path.into_inner());
    let form = form.into_inner();
    let user = parse_id(&form.user_id)
        .map(UserId)
        .ok_or(AppError::NotFound)?;
    let back = match form.back.as_str() {
        "" => format!("/admin/groups/{id}"),
        back => safe_next(back).to_owned(),
    };
    let result = groups::remove_member(&ctx.db, ctx.authorized(), id, user, &ctx.meta).await;
    outcome(&back, result, |(user, group)| {
        format!("{user} is no longer in {group}.")
    })
}

#[derive(Deserialize)]
pub struct AddToGroupForm {
    #[serde(default)]
    group_id: String,
}

/// From the user page: adds the user to the chosen group.
pub async fn add_user_to_group(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<AddToGroupForm>,
) -> Result<HttpResponse, AppError> {
    let user = UserId(path.into_inner());
    let group = parse_id(&form.into_inner().group_id)
        .map(GroupId)
        .ok_or(AppError::NotFound)?;
    let result = groups::add_member(
        &ctx.db,
        ctx.authorized(),
        group,
        Member::Id(user),
        &ctx.meta,
    )
    .await;
    outcome(&format!("/admin/users/{user}"), result, |(user, group)| {
        format!("{user} is now in {group}.")
    })
}
