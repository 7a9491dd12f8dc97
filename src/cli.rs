//! The command line's shape: every command and its arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Self-hosted staff access console"
)]
pub struct Cli {
    /// Optional TOML settings file (GATEHOUSE_* variables override it).
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// API tokens for provisioning scripts.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The keys that sign OpenID Connect ID tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage the applications Gatehouse guards.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
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
    /// Purge deleted users whose retention period
    /// (GATEHOUSE_DELETED_RETENTION_DAYS) has ended: their personal data is
    /// erased and a tombstone stays. The server does this every hour.
    Purge {
        /// Run the purge now (required, so that nobody purges by accident).
        #[arg(long, required = true)]
        now: bool,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the audit log's hash chain and report the first broken link
    /// (exit code 1) or how many rows verified.
    Verify,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organisation with the four default roles; then give it an
    /// administrator with `gatehouse user create --org SLUG`.
    Create {
        /// 2 to 40 lower-case letters, digits and hyphens; its sign-in page
        /// is /o/SLUG/login.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// A host name whose sign-in page is this organisation's.
        #[arg(long, default_value = "")]
        host: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an Active user (the first admin, typically).
    Create {
        /// The organisation's slug.
        #[arg(long, default_value = "default")]
        org: String,
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
    /// Import users from a CSV file with the columns
    /// username,email,full_name,role,status,password_hash (hashes from
    /// Werkzeug, bcrypt, Django or argon2). All rows or none are imported.
    Import {
        file: PathBuf,
        /// The organisation's slug.
        #[arg(long, default_value = "default")]
        org: String,
        /// Check every row and report, without importing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Fill the database with realistic demo users, requests and history.
    Seed {
        #[arg(long, default_value_t = 1000)]
        users: u64,
        /// Spread the users over this many organisations (the default one
        /// and demo-0001, demo-0002…).
        #[arg(long, default_value_t = 1)]
        orgs: u64,
        /// Make this many groups in the default organisation, with one demo
        /// user in all of them.
        #[arg(long, default_value_t = 0)]
        groups: u64,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Add a new signing key for every algorithm; the old keys stay in the
    /// JWKS until the tokens they signed have expired. Running instances
    /// sign with the new keys within a minute.
    Rotate,
}

#[derive(Subcommand)]
pub enum AppCommand {
    /// Register an application: the host names it is served on and the
    /// roles and groups whose members may open it.
    Create(AppCreate),
}

#[derive(clap::Args)]
pub struct AppCreate {
    /// 2 to 40 lower-case letters, digits and hyphens.
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// The address users open, e.g. https://wiki.example.com/.
    #[arg(long)]
    pub url: String,
    /// A host name it is served on (repeat, or separate with commas).
    #[arg(long, required = true)]
    pub host: Vec<String>,
    /// Roles whose members may open it, by name, comma-separated.
    #[arg(long)]
    pub roles: Vec<String>,
    /// Groups whose members may open it, by name, comma-separated.
    #[arg(long)]
    pub groups: Vec<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// The organisation's slug.
    #[arg(long, default_value = "default")]
    pub org: String,
    /// Also make it an OpenID Connect client with this redirect URI
    /// (repeat the option for more); prints its client id and secret.
    #[arg(long)]
    pub redirect_uri: Vec<String>,
    /// A public client (a browser or native app: PKCE, no secret).
    #[arg(long, requires = "redirect_uri")]
    pub public: bool,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for an Active user and print it (once). A user
    /// holding tokens.manage gets a service token, anyone else a personal
    /// one; the scopes must be permissions the user holds.
    Create(TokenCreate),
}

#[derive(clap::Args)]
pub struct TokenCreate {
    /// The username the token acts for.
    #[arg(long)]
    pub user: String,
    /// What uses the token, e.g. deploy-bot.
    #[arg(long)]
    pub name: String,
    /// Permissions, comma-separated (users.read,users.approve…).
    #[arg(long, default_value = "")]
    pub scopes: String,
    /// Days until it expires (at most 365).
    #[arg(long, default_value_t = 90)]
    pub expires_days: i64,
    /// The organisation's slug.
    #[arg(long, default_value = "default")]
    pub org: String,
}
