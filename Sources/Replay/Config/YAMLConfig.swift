import AnalysisCore
import Yams

/// YAML files through Yams, into a `ConfigNode` tree.
enum YAMLConfig {
    static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(file: file, line: nil, key: nil, "not valid YAML: \(error)")
        }
        guard let root else { throw ConfigError(file: file, line: nil, key: nil, "the file is empty") }
        return try convert(root, file: file)
    }

    private static func convert(_ node: Node, file: String) throws(ConfigError) -> ConfigNode {
        let line = node.mark?.line
        switch node {
        case .scalar:
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return ConfigNode(.null, line: line)
            case Tag.Name.bool.rawValue: return ConfigNode(.bool(node.bool ?? false), line: line)
            case Tag.Name.int.rawValue:
                guard let value = node.int else { throw ConfigError(file: file, line: line, key: nil, "integer out of range") }
                return ConfigNode(.int(value), line: line)
            case Tag.Name.float.rawValue: return ConfigNode(.float(node.float ?? 0), line: line)
            default: return ConfigNode(.string(node.string ?? ""), line: line)
            }
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for element in sequence { items.append(try convert(element, file: file)) }
            return ConfigNode(.list(items), line: line)
        case .mapping(let mapping):
            var entries: [(key: String, node: ConfigNode)] = []
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ConfigError(file: file, line: key.mark?.line, key: nil, "keys must be text")
                }
                entries.append((name, try convert(value, file: file)))
            }
            return ConfigNode(.table(entries), line: line)
        case .alias:
            throw ConfigError(file: file, line: line, key: nil, "aliases are not supported")
        }
    }
}
