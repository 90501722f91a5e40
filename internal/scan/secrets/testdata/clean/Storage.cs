public static class Storage
{
    const string Conn = "UseDevelopmentStorage=true";
    static readonly string ClientSecret = Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET");
}
