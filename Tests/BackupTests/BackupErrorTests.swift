import Backup
import RedisCtlCore
import Testing

@Test func corruptBackupsCannotRun() {
    let error = BackupError(.cannotRun, "shard-0.rdb: sha256 mismatch")
    #expect(error.category.rawValue == 2)
    #expect(error.description == "shard-0.rdb: sha256 mismatch")
}
