//! One sample envelope per message kind, with fixed field values. The hex
//! vectors in docs/wire.md are these samples encoded; `examples/wire-vectors`
//! prints them and `tests/vectors.rs` checks the document against them.

use susurro_wire::*;

fn b32(seed: u8) -> [u8; 32] {
    core::array::from_fn(|i| seed.wrapping_add(i as u8))
}

fn b16(seed: u8) -> [u8; 16] {
    core::array::from_fn(|i| seed.wrapping_add(i as u8))
}

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn onion() -> Address {
    Address::Onion {
        key: b32(0xa0),
        port: 7000,
    }
}

fn contact() -> Contact {
    Contact {
        id: 7,
        name: name("Alice"),
        key: b32(0x10),
        address: onion(),
        note: Note::new("met at the café").unwrap(),
        flags: contact_flags::VERIFIED,
        created: 1_790_000_000,
        updated: 1_790_000_500,
    }
}

fn pw(s: &str) -> Password {
    Password::new(s.as_bytes()).unwrap()
}

/// Every sample, one per [`Kind`], addressed along the kind's first route.
pub fn envelopes() -> Vec<Envelope> {
    use ModuleId::*;
    let msgs: Vec<Message> = vec![
        RouteRefused {
            src: Transport,
            dst: Storage,
            kind: 0x19,
            total: 3,
        }
        .into(),
        LinkStatus {
            peer: Storage,
            phase: LinkPhase::Up,
            bad_frames: 2,
            bad_messages: 1,
        }
        .into(),
        StoreStatusRequest {}.into(),
        StoreStatus {
            state: StoreState::Locked,
            attempts_left: 10,
            retry_after_s: 0,
        }
        .into(),
        CreateIdentity {
            password: pw("correct horse"),
        }
        .into(),
        Unlock {
            password: pw("correct horse"),
        }
        .into(),
        UnlockResult {
            outcome: UnlockOutcome::WrongPassword,
            attempts_left: 9,
            retry_after_s: 30,
        }
        .into(),
        Lock {}.into(),
        ChangePassword {
            old: pw("old"),
            new: pw("new"),
        }
        .into(),
        GetPublicKey {}.into(),
        PublicKey {
            key: b32(0x20),
            fingerprint: b16(0x40),
        }
        .into(),
        ScalarMult {
            req: 0x0102,
            point: b32(0x30),
        }
        .into(),
        ScalarMultResult {
            req: 0x0102,
            result: Secret::new(b32(0x50)),
        }
        .into(),
        EntropyRequest { req: 5, len: 32 }.into(),
        Entropy {
            req: 5,
            bytes: SecretBytes::new(&b16(0x60)).unwrap(),
        }
        .into(),
        EntropyMix {
            bytes: SecretBytes::new(&[1, 2, 3, 4]).unwrap(),
        }
        .into(),
        StorageError {
            req: 9,
            op: 0x23,
            code: StorageErrorCode::NameTaken,
        }
        .into(),
        ContactList { after: 0, max: 20 }.into(),
        ContactEntry { contact: contact() }.into(),
        ContactListEnd {
            last: 7,
            more: false,
            total: 1,
        }
        .into(),
        ContactAdd {
            req: 11,
            name: name("Bob"),
            key: b32(0x70),
            address: Address::Tcp {
                host: Text::new("127.0.0.1").unwrap(),
                port: 4000,
            },
            note: Note::default(),
            flags: 0,
        }
        .into(),
        ContactAdded { req: 11, id: 8 }.into(),
        ContactRename {
            id: 8,
            name: name("Robert"),
        }
        .into(),
        ContactSetAddress {
            id: 8,
            address: Address::None,
        }
        .into(),
        ContactSetNote {
            id: 8,
            note: Note::new("work").unwrap(),
        }
        .into(),
        ContactSetVerified {
            id: 8,
            verified: true,
        }
        .into(),
        ContactDelete { id: 8 }.into(),
        ContactChanged {
            id: 8,
            change: ChangeKind::Deleted,
        }
        .into(),
        ContactLookup {
            req: 12,
            query: ContactQuery::Key(b32(0x10)),
        }
        .into(),
        ContactFound {
            req: 12,
            contact: contact(),
        }
        .into(),
        ContactNotFound { req: 13 }.into(),
        HistoryKeyRequest {}.into(),
        HistoryKey {
            key: Secret::new([0x5c; 32]),
        }
        .into(),
        Call {
            target: CallTarget::Contact(7),
            mode: NetMode::Tor,
            purpose: CallPurpose::Messages,
        }
        .into(),
        Accept { call: 0x1234_5678 }.into(),
        Hangup { call: 0x1234_5678 }.into(),
        Mute { on: true }.into(),
        SetDirect {
            call: 0x1234_5678,
            enable: true,
        }
        .into(),
        CompareSecret {
            call: 0x1234_5678,
            phrase: SecretBytes::new(b"blue tiger").unwrap(),
        }
        .into(),
        SendContact {
            call: 0x1234_5678,
            contact: 0,
        }
        .into(),
        NetworkConfig {
            mode: NetMode::Direct,
            listen: true,
            port: 4000,
        }
        .into(),
        Reset {}.into(),
        SendText {
            call: 0x1234_5678,
            id: 7,
            part: 1,
            parts: 2,
            text: Text::new("¿qué tal?").unwrap(),
        }
        .into(),
        SendReceipt {
            call: 0x1234_5678,
            id: 7,
            kind: ReceiptKind::Read,
        }
        .into(),
        SendFile {
            call: 0x1234_5678,
            body: file_body(),
        }
        .into(),
        CallState {
            call: 0x1234_5678,
            phase: CallPhase::KeyExchange,
            path: PathKind::Tor,
        }
        .into(),
        IncomingCall {
            call: 0x1234_5678,
            path: PathKind::Tcp,
        }
        .into(),
        CallEstablished {
            call: 0x1234_5678,
            sas: 0x00ab_cdef,
            authenticated: true,
            peer: Some(7),
            peer_fingerprint: Some(b16(0x80)),
        }
        .into(),
        CallEnded {
            call: 0x1234_5678,
            reason: EndReason::RemoteHangup,
        }
        .into(),
        MuteState { on: false }.into(),
        DirectState {
            call: 0x1234_5678,
            phase: DirectPhase::Probing,
        }
        .into(),
        CompareResult {
            call: 0x1234_5678,
            outcome: CompareOutcome::Match,
        }
        .into(),
        ContactReceived {
            call: 0x1234_5678,
            id: 9,
            name: name("+abcdef-0011223344556677"),
        }
        .into(),
        LinkQuality {
            call: 0x1234_5678,
            path: PathKind::Tor,
            paths: 2,
            rtt_ms: 640,
            loss_permille: 12,
            late_permille: 3,
            jitter_ms: 45,
        }
        .into(),
        NetworkStatus {
            bootstrap_percent: 85,
            onion_published: false,
            listening: true,
            address: onion(),
        }
        .into(),
        ErrorReport {
            call: 0,
            code: ErrorCode::NoAddress,
        }
        .into(),
        TextReceived {
            call: 0x1234_5678,
            id: 7,
            part: 0,
            parts: 1,
            text: Text::new("hi").unwrap(),
        }
        .into(),
        FileReceived {
            call: 0x1234_5678,
            body: file_body(),
        }
        .into(),
        ReceiptReceived {
            call: 0x1234_5678,
            id: 7,
            kind: ReceiptKind::Delivered,
        }
        .into(),
        TransportSeed {
            seed: Secret::new(b32(0x90)),
        }
        .into(),
        TransportReady { caps: 3 }.into(),
        Dial {
            call: 0x1234_5678,
            address: onion(),
        }
        .into(),
        ObfuscationOpen {
            call: 0x1234_5678,
            direction: Direction::Outgoing,
        }
        .into(),
        ObfuscationKey {
            call: 0x1234_5678,
            representative: b32(0xb0),
        }
        .into(),
        ObfuscationRemote {
            call: 0x1234_5678,
            representative: b32(0xc0),
        }
        .into(),
        ObfuscationSecret {
            call: 0x1234_5678,
            key: Secret::new(b32(0xd0)),
        }
        .into(),
        SessionReady {
            call: 0x1234_5678,
            direction: Direction::Incoming,
            path: PathKind::Tcp,
        }
        .into(),
        IkeCommit {
            call: 0x1234_5678,
            x_masked: b32(0x01),
        }
        .into(),
        IkeEphemeral {
            call: 0x1234_5678,
            y: b32(0x02),
            version: PeerVersion::CURRENT,
        }
        .into(),
        IkeSpekeU {
            call: 0x1234_5678,
            u: b32(0x03),
            version: PeerVersion::CURRENT,
        }
        .into(),
        IkeSpekeV {
            call: 0x1234_5678,
            v: b32(0x04),
        }
        .into(),
        IkeIdentity {
            call: 0x1234_5678,
            a_masked: b32(0x05),
        }
        .into(),
        IkeConfirm {
            call: 0x1234_5678,
            c: b32(0x06),
        }
        .into(),
        IkeAuthA {
            call: 0x1234_5678,
            ma: b16(0x07),
            mx: b16(0x08),
            purpose: CallPurpose::Voice,
        }
        .into(),
        IkeAuthB {
            call: 0x1234_5678,
            mb: b16(0x09),
            my: b16(0x0a),
        }
        .into(),
        TransportKey {
            call: 0x1234_5678,
            kt: Secret::new(b32(0xe0)),
        }
        .into(),
        TransportKeyed { call: 0x1234_5678 }.into(),
        DoublePath {
            call: 0x1234_5678,
            address: onion(),
        }
        .into(),
        PathState {
            call: 0x1234_5678,
            path: PathKind::Tor,
            up: true,
            paths: 2,
        }
        .into(),
        Terminate { call: 0x1234_5678 }.into(),
        Terminated {
            call: 0x1234_5678,
            reason: EndReason::NetworkLost,
        }
        .into(),
        DirectRequest {
            call: 0x1234_5678,
            enable: false,
        }
        .into(),
        PeerData {
            call: 0x1234_5678,
            sealed: Bytes::new(&[0xee; 24]).unwrap(),
        }
        .into(),
        Voice {
            call: 0x1234_5678,
            seq: 42,
            sealed: Bytes::new(&b32(0xf0)[..28]).unwrap(),
        }
        .into(),
        VoiceGap {
            call: 0x1234_5678,
            seq: 43,
            held: true,
        }
        .into(),
    ];
    msgs.into_iter()
        .map(|m| {
            let (src, dst) = m.kind().routes()[0];
            Envelope { src, dst, msg: m }
        })
        .collect()
}

/// One sample per [`PeerKind`].
pub fn peer_messages() -> Vec<PeerMessage> {
    vec![
        XferAddress {
            o_masked: b32(0x11),
            port: 7000,
        }
        .into(),
        XferChallenge {
            q: b16(0x22),
            q_mac: b16(0x33),
        }
        .into(),
        XferKey {
            a_masked: b32(0x44),
        }
        .into(),
        CompareU { u: b32(0x55) }.into(),
        CompareV { v: b32(0x66) }.into(),
        CompareMa { m: b32(0x77) }.into(),
        CompareMb { m: b32(0x88) }.into(),
        PeerHangup {
            reason: EndReason::LocalHangup,
        }
        .into(),
        PeerAccept {}.into(),
        PeerDirect { enable: true }.into(),
        PeerText {
            id: 7,
            part: 0,
            parts: 1,
            text: Text::new("hi").unwrap(),
        }
        .into(),
        PeerReceipt {
            id: 7,
            kind: ReceiptKind::Read,
        }
        .into(),
        PeerFile { body: file_body() }.into(),
    ]
}

/// An encoded `FileAck`, the body of the file-carrying samples.
fn file_body() -> Bytes<{ caps::FILE_BODY }> {
    let mut buf = [0u8; caps::FILE_BODY];
    let n = FileMessage::from(FileAck {
        file: 0x0102_0304_0506_0708,
        next: 42,
    })
    .encode_to(&mut buf)
    .unwrap();
    Bytes::new(&buf[..n]).unwrap()
}

/// One sample per file message, with fixed field values.
pub fn file_messages() -> Vec<FileMessage> {
    let file = 0x0102_0304_0506_0708;
    vec![
        FileOffer {
            file,
            size: 20_000_000,
            hash: b32(0x30),
            key: b32(0x50),
            name: Text::new("año nuevo.pdf").unwrap(),
        }
        .into(),
        FileAccept { file, next: 0 }.into(),
        FileDecline {
            file,
            reason: FileRefusal::TooBig,
        }
        .into(),
        FileChunk {
            file,
            index: 3,
            data: Bytes::new(&b32(0x70)).unwrap(),
        }
        .into(),
        FileAck { file, next: 42 }.into(),
        FileDone { file, saved: true }.into(),
    ]
}

/// Sample frames: (name, frame type, seq, ack, sack, payload).
pub fn frames() -> Vec<(&'static str, frame::FrameType, u16, u16, u16, Vec<u8>)> {
    use frame::FrameType as F;
    let mut voice = [0u8; MAX_MESSAGE];
    let env = envelopes()
        .into_iter()
        .find(|e| e.msg.kind() == Kind::Voice)
        .unwrap();
    let n = env.encode(&mut voice).unwrap();
    let hello = frame::Hello {
        min_version: 1,
        max_version: 1,
        up: false,
        caps: 3,
        instance: 0x0a0b_0c0d,
        peer_instance: 0,
        tx_base: 0,
        max_payload: frame::MAX_PAYLOAD as u16,
    };
    let mut h = [0u8; frame::HELLO_LEN];
    hello.encode(&mut h).unwrap();
    vec![
        ("hello", F::Hello, 0, 0, 0, h.to_vec()),
        ("control-lock", F::Control, 5, 3, 0, vec![4, 3, 0x15]),
        ("ack", F::Ack, 0, 6, 0b101, vec![]),
        ("voice", F::Voice, 42, 6, 0, voice[..n].to_vec()),
        ("ping", F::Ping, 0, 6, 0, vec![]),
        ("zeros", F::Control, 0, 0, 0, vec![0, 0, 0, 0]),
    ]
}
