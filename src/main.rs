//! The `gatehouse` command: serve (default), migrate, user create, demo seed.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gatehouse::config::Settings;
use gatehouse::db::Db;
use gatehouse::services::ServiceError;
use gatehouse::services::accounts::{self, Registration};
use gatehouse::startup::Application;
use secrecy::SecretString;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Self-hosted staff access console"
)]
struct Cli {
    /// Optional TOML settings file (GATEHOUSE_* variables override it).
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an Active user (the first admin, typically).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        full_name: String,
        #[arg(long, default_value = "Admin")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Fill the database with realistic demo users, requests and history.
    Seed {
        #[arg(long, default_value_t = 1000)]
        users: u64,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    gatehouse::telemetry::init("info,sqlx=warn");
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "Gatehouse is listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            connect(&settings).await?;
            println!("Migrations applied.");
        }
        Command::User {
            command:
                UserCommand::Create {
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
            match accounts::create_user(&db, form, &role).await {
                Ok(id) => println!("Created user {id} with the role {role}."),
                Err(ServiceError::Invalid(fields)) => {
                    for (field, message) in fields {
                        eprintln!("{field}: {message}");
                    }
                    std::process::exit(2);
                }
                Err(err) => return Err(anyhow::anyhow!("{err:?}")),
            }
        }
        Command::Demo {
            command: DemoCommand::Seed { users },
        } => {
            let db = connect(&settings).await?;
            let started = std::time::Instant::now();
            let report = gatehouse::demo::seed(&db, users).await?;
            println!(
                "Seeded {} users and {} role requests in {:.1} s. Every demo user's password is: {}",
                report.users,
                report.requests,
                started.elapsed().as_secs_f64(),
                gatehouse::demo::DEMO_PASSWORD
            );
        }
    }
    Ok(())
}

async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.max_db_connections).await?;
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
