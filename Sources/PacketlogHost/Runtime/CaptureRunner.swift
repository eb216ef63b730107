// MARK: - CaptureRunner

/// Runs a capture with one engine or the parallel pipeline, as
/// `CaptureSettings.workers` says, and returns how it ended and the summary.
public enum CaptureRunner {
    /// - Parameters:
    ///   - modules: the modules for the first (or only) worker, already built.
    ///   - makeModules: builds another, independent instance for each further worker.
    public static func run<Modules: ModuleDispatch>(
        modules: Modules, makeModules: () throws -> any ModuleDispatch, files: [ModuleFiles], pcap: PcapHandle,
        writer: LogWriter, settings: CaptureSettings, toStandardOutput: Bool, report: @escaping @Sendable (String) -> Void
    ) throws -> (ending: CaptureEnding, summary: String) {
        if settings.workers <= 0 {
            let engine = CaptureEngine(modules: modules, files: files, pcap: pcap, writer: writer, settings: settings,
                                       toStandardOutput: toStandardOutput, report: report)
            let ending = engine.run()
            writer.finish()
            return (ending, engine.summary())
        }
        var first: Modules? = modules
        let engine = try ParallelCaptureEngine(
            workerCount: settings.workers,
            makeModules: { () throws -> Modules in
                if let m = first { first = nil; return m }
                guard let another = try makeModules() as? Modules else { preconditionFailure("module set changed type") }
                return another
            },
            files: files, pcap: pcap, writer: writer, settings: settings, toStandardOutput: toStandardOutput, report: report)
        let ending = engine.run()
        writer.finish()
        return (ending, engine.summary())
    }
}
