//! The `gatehouse` command: serve (default), migrate, org create, user
//! create, user import, app create, token create, purge, demo seed, audit
//! verify.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::Parser;
use gatehouse::config::Settings;
use gatehouse::db::{Db, Scope};
use gatehouse::services::ServiceError;
use gatehouse::services::accounts::{self, Registration};
use gatehouse::services::apps::{self, AppByNames};
use gatehouse::services::auth_settings::AuthSettings;
use gatehouse::services::import;
use gatehouse::services::organisations::{self, OrganisationForm};
use gatehouse::services::tokens::{self, TokenForm};
use gatehouse::startup::Application;
use secrecy::SecretString;

mod cli;
use cli::{
    AppCommand, AuditCommand, Cli, Command, DemoCommand, KeysCommand, OrgCommand, TokenCommand,
    UserCommand,
};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    gatehouse::telemetry::init("info,sqlx=warn");
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.start_jobs();
            tracing::info!(port = app.port(), "Gatehouse is listening");
            app.run_until_stopped().await?;
        }
        Command::App {
            command: AppCommand::Create(args),
        } => {
            let db = connect(&settings).await?;
            create_app(&db, args).await?;
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let db = connect(&settings).await?;
            let keys = gatehouse::startup::key_store(&settings)?;
            let kids = keys.rotate(&db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "New signing keys: {}. The old ones stay published until the tokens they signed expire.",
                kids.join(", ")
            );
        }
        Command::Token {
            command: TokenCommand::Create(args),
        } => {
            let db = connect(&settings).await?;
            create_token(&db, args).await?;
        }
        Command::Migrate => {
            connect(&settings).await?;
            println!("Migrations applied.");
        }
        Command::User {
            command:
                UserCommand::Create {
                    org,
                    username,
                    email,
                    full_name,
                    role,
                    password_stdin,
                },
        } => {
            let db = connect(&settings).await?;
            let password = read_password(password_stdin)?;
            let form = Registration {
                username,
                email,
                full_name,
                password: SecretString::from(password.clone()),
                password_confirm: SecretString::from(password),
            };
            let auth = AuthSettings::from_settings(&settings)?;
            let Some(found) = organisations::by_slug(&db, &org).await? else {
                eprintln!("org: there is no organisation with the slug {org:?}.");
                std::process::exit(2);
            };
            let scope = Scope::organisation(found.id);
            match accounts::create_user(&db, &scope, &auth, form, &role).await {
                Ok(id) => println!("Created user {id} in {org} with the role {role}."),
                Err(err) => exit_with(err)?,
            }
        }
        Command::Org {
            command: OrgCommand::Create { slug, name, host },
        } => {
            let db = connect(&settings).await?;
            let form = OrganisationForm {
                slug: slug.clone(),
                name,
                host,
            };
            match organisations::create_from_command_line(&db, &form).await {
                Ok(id) => println!(
                    "Created organisation {id}, {}, with the default roles. \
                     Give it an administrator with: gatehouse user create --org {} …",
                    slug.trim(),
                    slug.trim()
                ),
                Err(err) => exit_with(err)?,
            }
        }
        Command::User {
            command: UserCommand::Import { file, org, dry_run },
        } => {
            let db = connect(&settings).await?;
            let Some(found) = organisations::by_slug(&db, &org).await? else {
                eprintln!("org: there is no organisation with the slug {org:?}.");
                std::process::exit(2);
            };
            let scope = Scope::organisation(found.id);
            let params = gatehouse::services::auth_settings::hash_params(&settings);
            let code = import_users(&db, &scope, &file, dry_run, params).await?;
            std::process::exit(code);
        }
        Command::Purge { now: _ } => {
            let db = connect(&settings).await?;
            let days = settings.deleted_retention_days;
            match gatehouse::services::deletion::purge_due(&db, days).await {
                Ok(purged) => {
                    println!("Purged {purged} deleted users whose {days}-day retention had ended.")
                }
                Err(err) => return exit_with(err),
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = connect(&settings).await?;
            let code = verify_audit(&db).await?;
            std::process::exit(code);
        }
        Command::Demo {
            command:
                DemoCommand::Seed {
                    users,
                    orgs,
                    groups,
                },
        } => {
            let db = connect(&settings).await?;
            let started = std::time::Instant::now();
            let options = gatehouse::demo::SeedOptions {
                users,
                organisations: orgs,
                groups,
            };
            let report = gatehouse::demo::seed(&db, options).await?;
            println!(
                "Seeded {} users in {} organisation(s) and {} role requests in {:.1} s. Every demo user's password is: {}",
                report.users,
                report.organisations,
                report.requests,
                started.elapsed().as_secs_f64(),
                gatehouse::demo::DEMO_PASSWORD
            );
            if let Some(member) = report.group_member {
                println!("User {member} is in all {groups} demo groups.");
            }
        }
    }
    Ok(())
}

/// Prints a refusal's fields (exit code 2), or returns the error.
/// `gatehouse app create`: prints the app and what to give the proxy.
async fn create_app(db: &Db, args: cli::AppCreate) -> anyhow::Result<()> {
    let Some(found) = organisations::by_slug(db, &args.org).await? else {
        eprintln!(
            "org: there is no organisation with the slug {:?}.",
            args.org
        );
        std::process::exit(2);
    };
    let list = |items: &[String]| -> Vec<String> {
        items
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::to_owned)
            .collect()
    };
    let app = AppByNames {
        slug: args.slug,
        name: args.name,
        description: args.description,
        url: args.url,
        hosts: list(&args.host),
        roles: list(&args.roles),
        groups: list(&args.groups),
        // Whole: a URI may hold a comma.
        redirect_uris: args.redirect_uri.clone(),
        public_client: args.public,
    };
    match apps::create_with_client_from_command_line(db, Scope::organisation(found.id), &app).await
    {
        Ok((app, client)) => {
            println!(
                "Registered app {} ({}) in {} on {}; open to {}. Proxies ask /auth/verify?app={}.",
                app.id,
                app.slug,
                found.slug,
                app.hosts_text(),
                app.rule.describe(),
                app.slug
            );
            if let Some(saved) = client {
                println!("client_id: {}", saved.client.client_id);
                match saved.secret {
                    Some(secret) => println!("client_secret: {secret}  (shown once)"),
                    None => println!("public client: no secret; PKCE (S256) required"),
                }
            }
        }
        Err(err) => exit_with(err)?,
    }
    Ok(())
}

/// `gatehouse token create`: prints the token alone on standard output (for
/// scripts to capture) and what it is on standard error.
async fn create_token(db: &Db, args: cli::TokenCreate) -> anyhow::Result<()> {
    let Some(found) = organisations::by_slug(db, &args.org).await? else {
        eprintln!(
            "org: there is no organisation with the slug {:?}.",
            args.org
        );
        std::process::exit(2);
    };
    let form = TokenForm {
        name: args.name,
        expires_days: args.expires_days.to_string(),
        scopes: args.scopes.split(',').map(str::to_owned).collect(),
    };
    let scope = Scope::organisation(found.id);
    match tokens::create_from_command_line(db, scope, &args.user, &form).await {
        Ok(made) => {
            eprintln!(
                "Made {} token {} for {}: scopes {}; expires {}. It is shown once:",
                made.token.kind.as_str(),
                made.token.name,
                made.token.owner_username,
                made.token.scopes_text(),
                made.token.expires_at
            );
            println!("{}", made.secret);
        }
        Err(err) => exit_with(err)?,
    }
    Ok(())
}

fn exit_with(err: ServiceError) -> anyhow::Result<()> {
    match err {
        ServiceError::Invalid(fields) => {
            for (field, message) in fields {
                eprintln!("{field}: {message}");
            }
            std::process::exit(2);
        }
        ServiceError::Conflict(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
        err => Err(anyhow::anyhow!("{err:?}")),
    }
}

/// Runs the import and prints its report; returns the exit code (2 when a
/// row was refused).
async fn import_users(
    db: &Db,
    scope: &Scope,
    file: &std::path::Path,
    dry_run: bool,
    params: gatehouse::auth::password::HashParams,
) -> anyhow::Result<i32> {
    let input =
        std::fs::File::open(file).with_context(|| format!("could not open {}", file.display()))?;
    let progress = |stage: &str, n: usize| eprintln!("… {n} rows {stage}");
    let input = std::io::BufReader::new(input);
    let report = match import::import_users(db, scope, input, dry_run, params, progress).await {
        Ok(report) => report,
        Err(ServiceError::Conflict(message)) => {
            eprintln!("{message}");
            return Ok(2);
        }
        Err(err) => return Err(anyhow::anyhow!("{err:?}")),
    };
    for refusal in &report.refused {
        println!(
            "line {} ({}): refused: {}",
            refusal.line,
            refusal.username,
            refusal.reasons.join("; ")
        );
    }
    let formats: Vec<String> = report
        .formats
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let ready = report.rows - report.refused.len();
    println!(
        "{} rows: {ready} ready ({}), {} refused.",
        report.rows,
        if formats.is_empty() {
            "none".to_owned()
        } else {
            formats.join(", ")
        },
        report.refused.len()
    );
    if report.committed {
        println!(
            "Imported {} users. They sign in with their old passwords.",
            report.imported
        );
        println!("{}", report.hash_outcome(params));
        // The users are in either way, so a failure here only warns.
        if let Err(err) = gatehouse::services::search_index::after_bulk_load(db).await {
            eprintln!(
                "warning: the search index could not be brought up to date now ({err:#}); \
                 the server does it in its upkeep (SQLite: daily; PostgreSQL: every five minutes)."
            );
        }
        Ok(0)
    } else if !report.refused.is_empty() {
        println!("Nothing was imported: fix the refused rows and run the import again.");
        Ok(2)
    } else {
        println!("Dry run: nothing was imported.");
        Ok(0)
    }
}

/// Prints the chain's state; returns the exit code (1 when it is broken).
async fn verify_audit(db: &Db) -> anyhow::Result<i32> {
    let report = gatehouse::services::audit_chain::verify(db).await?;
    let checked = &report.checkpoint;
    if let Some(link) = report.broken {
        println!(
            "BROKEN at audit row {}: {} ({} rows before it verified).",
            link.id,
            link.reason.describe(),
            checked.chained
        );
        return Ok(1);
    }
    let head = checked
        .last_chained
        .as_ref()
        .map(|(id, hash)| format!("; last row {id}, hash {hash}"))
        .unwrap_or_default();
    let legacy = match checked.unchained {
        0 => String::new(),
        n => format!(" ({n} older rows predate the hash chain)"),
    };
    println!("Verified {} rows{legacy}{head}.", checked.chained);
    Ok(0)
}

async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    // A command runs no server workers: its reads go through the pool.
    let db = Db::connect(&settings.database_url, settings.max_db_connections, 1).await?;
    db.migrate().await?;
    Ok(db)
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("could not read the password")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").context("could not read the password")?;
    let second =
        rpassword::prompt_password("Repeat password: ").context("could not read the password")?;
    anyhow::ensure!(first == second, "the two passwords do not match");
    Ok(first)
}
