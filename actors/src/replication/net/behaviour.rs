//! The libp2p behaviour of a redundancy node: identify (addresses, agent), ping (liveness
//! of the connection), request-response with [`ControlCodec`] for control messages, and
//! libp2p-stream for bulk ranges.

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{identify, ping};

use super::codec::{ControlCodec, CONTROL_PROTOCOL};

/// identify's protocol version: peers of another version are still identified, but the
/// control and range protocols are what decide compatibility.
pub const IDENTIFY_VERSION: &str = "/shoal/redundancy/1";

/// The combined behaviour; the derive makes `BehaviourEvent` with one variant per field.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub control: request_response::Behaviour<ControlCodec>,
    pub stream: libp2p_stream::Behaviour,
}

impl Behaviour {
    pub fn new(key: &Keypair, request_timeout: Duration) -> Self {
        let identify = identify::Behaviour::new(
            identify::Config::new(IDENTIFY_VERSION.to_string(), key.public())
                .with_agent_version(format!("shoal/{}", env!("CARGO_PKG_VERSION"))),
        );
        let control = request_response::Behaviour::with_codec(
            ControlCodec,
            [(CONTROL_PROTOCOL, ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(request_timeout),
        );
        Behaviour {
            identify,
            ping: ping::Behaviour::new(ping::Config::new()),
            control,
            stream: libp2p_stream::Behaviour::new(),
        }
    }
}
