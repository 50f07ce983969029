//! The login callback, fed arbitrary strings and well-formed callbacks.

use upstox_login_sdk::{parse_callback, State};

use super::*;

proptest! {
    #![proptest_config(config(LOCAL_CASES))]

    /// Any string as a callback: never accepted without this login's state.
    #[test]
    fn callback_takes_arbitrary_strings(callback in prop_oneof![
        any::<String>(),
        "[ -~]{0,200}",
        "(https?://[a-z0-9.:]{0,20})?(/[a-z]{0,8})?\\?((code|state|error|error_description|x)=[A-Za-z0-9%+&=#?]{0,12}&?){0,5}",
    ]) {
        let state = State::random().expect("OS random");
        let result = parse_callback(&callback, &state);
        prop_assert!(result.is_err(), "accepted without the state: {:?}", callback);
        if let Err(e) = result {
            let shown = format!("{e} {e:?}");
            prop_assert!(!shown.contains(state.as_str()));
        }
    }

    /// A well-formed callback carrying this login's state gives back the
    /// code, whatever characters it holds and wherever it stands; with
    /// another state it is refused.
    #[test]
    fn callback_gives_back_any_code_with_the_right_state(
        code in any::<String>().prop_filter("non-empty", |c| !c.is_empty()),
        state in "[ -~]{1,64}",
        other in "[ -~]{1,64}",
        prefix in prop::sample::select(vec![
            "http://127.0.0.1:5055/callback?", "https://app.example/cb?x=1&", "/callback?", "",
        ]),
        code_first in any::<bool>(),
    ) {
        let pairs = [
            format!("code={}", url_encode(&code)),
            format!("state={}", url_encode(&state)),
        ];
        let query = if code_first {
            format!("{}&{}", pairs[0], pairs[1])
        } else {
            format!("{}&{}", pairs[1], pairs[0])
        };
        let callback = format!("{prefix}{query}");
        let got = parse_callback(&callback, &State::new(state.clone()));
        match got {
            Ok(c) => prop_assert_eq!(c.secret(), code.as_str()),
            Err(e) => prop_assert!(false, "{:?} refused: {:?}", callback, e),
        }
        if other != state {
            let refused = parse_callback(&callback, &State::new(other));
            prop_assert!(
                matches!(refused, Err(upstox_login_sdk::CallbackError::StateMismatch)),
                "{:?}", refused.map(|c| c.secret().to_string())
            );
        }
    }
}
