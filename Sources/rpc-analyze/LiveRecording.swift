import Live
struct LiveRecording { let interface: String; let filter: String; let output: String; let status: StatusLine; func run() throws { throw CouldNotAnalyse("live capture is not built yet") } }
