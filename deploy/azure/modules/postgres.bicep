// Azure Database for PostgreSQL Flexible Server for the shared store (Storage:Provider=Postgres): one server, one
// database, password authentication, reachable from Azure services. Its connection string is built by main.bicep and
// kept in Key Vault.

@description('Server name (globally unique, lower case letters, digits and hyphens).')
param serverName string

param location string

@description('Administrator login of the server.')
param administratorLogin string

@secure()
@description('Administrator password of the server.')
param administratorPassword string

@description('Compute size. Burstable B1ms suits a single receiver; General Purpose (e.g. Standard_D2ds_v5) for several instances under load.')
param skuName string = 'Standard_B1ms'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string = 'Burstable'

@description('Database the service uses.')
param databaseName string = 'changenotifications'

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: serverName
  location: location
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: '16'
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: 32
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0 to 0.0.0.0 is Azure's rule for "any Azure service": the web app's outbound addresses change with its plan.
// A private endpoint and VNet integration close the server to everything else.
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'AllowAzureServices'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
