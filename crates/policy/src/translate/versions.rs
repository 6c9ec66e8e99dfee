//! The library versions a configuration runs against, where a translation depends on them.
//!
//! Only urllib3 has such a split today: 1.26 and 2.x take different keywords (`method_whitelist` until 1.26;
//! `backoff_max`, `backoff_jitter` from 2.0; `retry_after_max` from 2.6) and bound a server's Retry-After
//! differently (no bound before 2.6). A version that is not known leaves every such difference named in the
//! translation.

/// A `major.minor` version.
pub type Version = (u32, u32);

/// Versions by library; `None` is "not known".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    /// urllib3 under `urllib3.util.Retry` and requests' `HTTPAdapter`.
    pub urllib3: Option<Version>,
}

impl Versions {
    /// Reads pins as requirements spell them, `urllib3==1.26.20` (patch level ignored), separated by spaces.
    pub fn from_pins(pins: &str) -> Result<Versions, String> {
        let mut v = Versions::default();
        for pin in pins.split_whitespace() {
            let (package, version) =
                pin.split_once("==").ok_or_else(|| format!("`{pin}` is not `package==version`"))?;
            let mut parts = version.split('.').map(|p| p.parse::<u32>());
            let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) else {
                return Err(format!("`{version}` is not major.minor[.patch]"));
            };
            match package {
                "urllib3" => v.urllib3 = Some((major, minor)),
                other => return Err(format!("no translation depends on the version of `{other}`")),
            }
        }
        Ok(v)
    }
}
