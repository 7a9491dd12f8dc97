//! Settings come from the built-in defaults, then an optional TOML file, then
//! `GATEHOUSE_*` environment variables. `Settings::load` reads this process's
//! environment, which a test cannot change while others run (`set_var` needs
//! `unsafe`, which this crate forbids), so the test runs this binary again, as
//! a child with an environment of its own, and reads what it loaded.

use std::path::Path;
use std::process::Command;

use gatehouse::config::Settings;

/// Set only in the child; not a `GATEHOUSE_` name, so not a setting.
const CHILD: &str = "SETTINGS_TEST_CHILD";
/// The TOML file the child loads, if any.
const CHILD_FILE: &str = "SETTINGS_TEST_FILE";
const CHILD_TEST: &str = "config::the_settings_this_process_loads";

/// The settings a child process with exactly `env` (and `file`) loads, as
/// `name=value` lines.
fn load_in_a_child(env: &[(&str, &str)], file: Option<&Path>) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().expect("this test binary"));
    child
        .args([CHILD_TEST, "--exact", "--ignored", "--nocapture"])
        .env_clear()
        .env(CHILD, "1")
        .envs(env.iter().copied());
    if let Some(file) = file {
        child.env(CHILD_FILE, file);
    }
    let output = child.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let loaded: Vec<String> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("setting "))
        .map(str::to_owned)
        .collect();
    assert!(
        !loaded.is_empty(),
        "the child printed no settings:\n{stdout}"
    );
    loaded
}

fn setting(loaded: &[String], name: &str) -> String {
    loaded
        .iter()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {loaded:?}"))
        .to_owned()
}

#[test]
#[ignore = "run by settings_come_from_defaults_then_the_file_then_gatehouse_variables, in a child process"]
fn the_settings_this_process_loads() {
    if std::env::var_os(CHILD).is_none() {
        eprintln!("skipped: only meaningful in the child process the settings test starts");
        return;
    }
    let file = std::env::var_os(CHILD_FILE);
    let settings = Settings::load(file.as_deref().map(Path::new)).expect("settings load");
    println!("setting default_role={}", settings.default_role);
    println!("setting max_db_connections={}", settings.max_db_connections);
    println!("setting cookie_secure={}", settings.cookie_secure);
    println!(
        "setting session_lifetime_minutes={}",
        settings.session_lifetime_minutes
    );
    println!("setting lockout_threshold={}", settings.lockout_threshold);
    println!("setting database_url={}", settings.database_url.expose());
    println!("setting database_url_printed={:?}", settings.database_url);
}

#[test]
fn settings_come_from_defaults_then_the_file_then_gatehouse_variables() {
    let defaults = Settings::default();
    let file = std::env::temp_dir().join(format!(
        "gatehouse-settings-test-{}.toml",
        std::process::id()
    ));
    std::fs::write(&file, "default_role = \"Ops\"\nlockout_threshold = 7\n").unwrap();

    let untouched = load_in_a_child(&[], None);
    let variables = [
        ("GATEHOUSE_DEFAULT_ROLE", "PM"),
        ("GATEHOUSE_MAX_DB_CONNECTIONS", "3"),
        ("GATEHOUSE_COOKIE_SECURE", "true"),
        // The earlier name of session_lifetime_minutes.
        ("GATEHOUSE_SESSION_TTL_MINUTES", "90"),
        (
            "GATEHOUSE_DATABASE_URL",
            "postgres://gate:hunter2@db.example:5432/gatehouse",
        ),
    ];
    let from_variables = load_in_a_child(&variables, None);
    let from_file = load_in_a_child(&[], Some(&file));
    let file_and_variables = load_in_a_child(&[("GATEHOUSE_DEFAULT_ROLE", "PM")], Some(&file));
    std::fs::remove_file(&file).ok();

    // Nothing set: the built-in defaults.
    assert_eq!(setting(&untouched, "default_role"), "Engineer");
    assert_eq!(setting(&untouched, "default_role"), defaults.default_role);
    assert_eq!(
        setting(&untouched, "max_db_connections"),
        defaults.max_db_connections.to_string()
    );
    assert_eq!(setting(&untouched, "cookie_secure"), "false");
    assert_eq!(
        setting(&untouched, "database_url"),
        defaults.database_url.expose()
    );
    // Each variable wins over its default; what is not set keeps it.
    assert_eq!(setting(&from_variables, "default_role"), "PM");
    assert_eq!(setting(&from_variables, "max_db_connections"), "3");
    assert_eq!(setting(&from_variables, "cookie_secure"), "true");
    assert_eq!(setting(&from_variables, "session_lifetime_minutes"), "90");
    assert_eq!(
        setting(&from_variables, "database_url"),
        "postgres://gate:hunter2@db.example:5432/gatehouse"
    );
    assert!(!setting(&from_variables, "database_url_printed").contains("hunter2"));
    assert_eq!(
        setting(&from_variables, "lockout_threshold"),
        defaults.lockout_threshold.to_string()
    );
    // The file wins over the defaults, and a variable over the file.
    assert_eq!(setting(&from_file, "default_role"), "Ops");
    assert_eq!(setting(&from_file, "lockout_threshold"), "7");
    assert_eq!(setting(&file_and_variables, "default_role"), "PM");
    assert_eq!(setting(&file_and_variables, "lockout_threshold"), "7");
}
