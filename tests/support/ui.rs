//! Small WebDriver helpers for driving the app's UI.

use std::time::Duration;

use fantoccini::{Client, Locator};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub async fn click(client: &Client, css: &str) {
    find(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|err| panic!("click {css}: {err}"));
}

pub async fn click_button(client: &Client, text: &str) {
    let xpath = format!("//button[normalize-space()='{text}']");
    wait_for(client, Locator::XPath(&xpath))
        .await
        .click()
        .await
        .unwrap_or_else(|err| panic!("click button {text:?}: {err}"));
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    find(client, css)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|err| panic!("type into {css}: {err}"));
}

pub async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    wait_for(client, Locator::Css(css)).await
}

async fn wait_for(client: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        match client.find(locator).await {
            Ok(element) => return element,
            Err(err) if std::time::Instant::now() > deadline => {
                panic!("{locator:?} never appeared: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
